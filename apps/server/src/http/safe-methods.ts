/**
 * Methods that change nothing (RFC 9110 "safe"): no cross-site check for them (admin-auth), no
 * write to wait for before the answer (the admin routes), no change to tell other instances
 * (cluster mode).
 */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

export const isSafeMethod = (method: string): boolean => SAFE_METHODS.has(method)
