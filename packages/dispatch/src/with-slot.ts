import type { DispatchSlot } from './types.js'

/**
 * Run `task` holding a slot of `gate` and release it however the task ends (result, throw, abort).
 * Preferred over a bare `acquire`: no code path can forget the `release()`.
 */
export async function withSlot<T>(
  gate: { acquire(signal?: AbortSignal): Promise<DispatchSlot> },
  task: (slot: DispatchSlot) => Promise<T>,
  signal?: AbortSignal,
): Promise<T> {
  const slot = await gate.acquire(signal)
  try {
    return await task(slot)
  } finally {
    slot.release()
  }
}
