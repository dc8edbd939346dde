import { type MockUpstream, startMockUpstream } from '@sfp/test-support/upstream'

/** The chat route every lane scenario loads. */
export const CHAT_PATH = '/v1/chat/completions'
/** KEY_SWITCH_GUARD_MINUTES of the lane scenarios' servers, and the window the look-alike checks. */
export const GUARD_MINUTES = 30

/**
 * A look-alike with an account per key. Delayed: every chat completion answered after `delayMs`,
 * requests recorded (source addresses) and the lane invariants watched. Not delayed (thousands of
 * requests): nothing recorded.
 */
export async function startLaneUpstream(
  keys: readonly string[],
  delayMs: number,
): Promise<MockUpstream> {
  const upstream = await startMockUpstream({
    accounts: Object.fromEntries(keys.map((key) => [key, { totalBalance: '1000000.00' }])),
    keepRequests: delayMs > 0,
    ...(delayMs > 0
      ? { invariants: { guardWindowMs: GUARD_MINUTES * 60_000, concurrency: 1 } }
      : {}),
  })
  if (delayMs > 0) {
    upstream.script({
      match: { path: CHAT_PATH },
      fault: { kind: 'delay', ms: delayMs },
      times: Number.POSITIVE_INFINITY,
    })
  }
  return upstream
}

/** What the look-alike saw of the lanes from request `from` on (see `seenSince`). */
export interface LanesSeen {
  /** Chat completions per source address. */
  sources: Record<string, number>
  /** The keys each source address sent (the bench's own made-up keys: nothing to hide). */
  keysBySource: Record<string, string[]>
  /** Breaches of the lane invariants counted since the last `resetViolations()`; all 0 expected. */
  violations: { concurrency: number; keySwitch: number; keyMove: number }
}

/** The chat completions the look-alike recorded from index `from` on, by source address. */
export function seenSince(upstream: MockUpstream, from: number): LanesSeen {
  const sources: Record<string, number> = {}
  const keysBySource: Record<string, Set<string>> = {}
  for (const seen of upstream.requests.slice(from)) {
    if (seen.path !== CHAT_PATH) continue
    sources[seen.sourceAddress] = (sources[seen.sourceAddress] ?? 0) + 1
    const keys = keysBySource[seen.sourceAddress] ?? new Set()
    keys.add(seen.key ?? '')
    keysBySource[seen.sourceAddress] = keys
  }
  const { concurrency, keySwitch, keyMove } = upstream.violations()
  return {
    sources,
    keysBySource: Object.fromEntries(
      Object.entries(keysBySource).map(([source, keys]) => [source, [...keys]]),
    ),
    violations: {
      concurrency: concurrency.length,
      keySwitch: keySwitch.length,
      keyMove: keyMove.length,
    },
  }
}
