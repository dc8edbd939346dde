/**
 * The admin login lives in sessionStorage only: gone when the tab closes, never in localStorage
 * or a cookie. What is stored is the ready `Authorization` header value.
 */
const STORAGE_KEY = 'sfp.authorization'

/** docs/behaviour.md §6: the admin user name is fixed. */
export const ADMIN_USER = 'admin'

/** `Basic base64(user:password)`, UTF-8 encoded so non-ASCII passwords survive. */
export function basicAuthorization(user: string, password: string): string {
  const bytes = new TextEncoder().encode(`${user}:${password}`)
  let binary = ''
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return `Basic ${btoa(binary)}`
}

export function loadAuthorization(): string | null {
  try {
    return sessionStorage.getItem(STORAGE_KEY)
  } catch {
    return null // storage disabled: the user signs in again on reload
  }
}

export function saveAuthorization(authorization: string): void {
  try {
    sessionStorage.setItem(STORAGE_KEY, authorization)
  } catch {
    // Storage disabled: the session still works until the page reloads.
  }
}

export function clearAuthorization(): void {
  try {
    sessionStorage.removeItem(STORAGE_KEY)
  } catch {
    // Nothing stored.
  }
}
