import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { describe, expect, it } from 'vitest'
import { createTestbed, type Testbed } from './helpers/testbed.js'

setFlagsFromString('--expose-gc')
const collectGarbage = runInNewContext('gc') as () => void

/** Drop a lease without releasing it, in a frame of its own so nothing on the stack holds it. */
async function leakOneLease(bed: Testbed): Promise<void> {
  await bed.dispatch.lease()
}

describe('frees-a-lease-dropped-without-release', () => {
  it('gives the slot of a garbage-collected lease to the next waiter and reports it', async () => {
    const reported: unknown[] = []
    const bed = await createTestbed({ keys: 1, reportError: (error) => reported.push(error) })
    await leakOneLease(bed)
    const next = bed.dispatch.lease()
    for (let attempt = 0; attempt < 20 && reported.length === 0; attempt++) {
      collectGarbage()
      await new Promise((resolve) => setImmediate(resolve))
    }
    expect(reported).toEqual([
      new Error('a dispatch lease was garbage-collected without release(); freed it'),
    ])
    ;(await next).release()
    expect(bed.dispatch.status().dispatch).toMatchObject({ inFlight: 0, queued: 0 })
  })
})
