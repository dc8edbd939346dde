/**
 * Failed admin logins per client address in a sliding window (docs/behaviour.md §6: 10 in 10
 * minutes). Memory is bounded: at most `maxAddresses` are tracked, the least recently failing
 * dropped first.
 */
export interface LoginThrottle {
  /** Seconds until this address may try again, or 0 when it may try now. */
  blockedFor(address: string): number
  recordFailure(address: string): void
  recordSuccess(address: string): void
}

export interface LoginThrottleOptions {
  maxFailures?: number
  windowMs?: number
  maxAddresses?: number
  now?: () => number
}

export function createLoginThrottle({
  maxFailures = 10,
  windowMs = 10 * 60_000,
  maxAddresses = 10_000,
  now = Date.now,
}: LoginThrottleOptions = {}): LoginThrottle {
  /** Failure times, oldest first; Map order = least recently failing first. */
  const failures = new Map<string, number[]>()

  const recent = (address: string): number[] => {
    const times = failures.get(address)
    if (!times) return []
    const cutoff = now() - windowMs
    while (times.length > 0 && (times[0] ?? 0) <= cutoff) times.shift()
    if (times.length === 0) failures.delete(address)
    return times
  }

  return {
    blockedFor(address) {
      const times = recent(address)
      if (times.length < maxFailures) return 0
      const oldest = times[times.length - maxFailures] ?? now()
      return Math.max(1, Math.ceil((oldest + windowMs - now()) / 1000))
    },
    recordFailure(address) {
      const times = recent(address)
      times.push(now())
      if (times.length > maxFailures) times.shift()
      failures.delete(address)
      failures.set(address, times)
      if (failures.size > maxAddresses) {
        const oldest = failures.keys().next().value
        if (oldest !== undefined) failures.delete(oldest)
      }
    },
    recordSuccess(address) {
      failures.delete(address)
    },
  }
}
