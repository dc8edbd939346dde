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
