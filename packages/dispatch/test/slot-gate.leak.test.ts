import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { describe, expect, it } from 'vitest'
import { createSlotGate } from '../src/slot-gate.js'

setFlagsFromString('--expose-gc')
const collectGarbage = runInNewContext('gc') as () => void

/** Drop a slot without releasing it, in a frame of its own so nothing on the stack holds it. */
async function leakOneSlot(gate: ReturnType<typeof createSlotGate>): Promise<void> {
  await gate.acquire()
}

describe('frees-a-slot-dropped-without-release', () => {
  it('gives the place of a garbage-collected slot to the next waiter and reports it', async () => {
    const reported: unknown[] = []
    const gate = createSlotGate({
      concurrency: 1,
      queueMax: 10,
      queueTimeoutMs: 60_000,
      now: Date.now,
      reportError: (error) => reported.push(error),
    })
    await leakOneSlot(gate)
    const next = gate.acquire()
    for (let attempt = 0; attempt < 20 && reported.length === 0; attempt++) {
      collectGarbage()
      await new Promise((resolve) => setImmediate(resolve))
    }
    expect(reported).toEqual([
      new Error('a dispatch slot was garbage-collected without release(); freed it'),
    ])
    ;(await next).release()
    expect(gate.status()).toMatchObject({ inFlight: 0, queued: 0 })
    gate.close()
  })
})
