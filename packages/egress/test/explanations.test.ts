import { explanation } from '@sfp/schemas'
import { createManualClock } from '@sfp/test-support'
import { describe, expect, it } from 'vitest'
import { transportFailure } from '../src/transport-failure.js'
import { wayOutExplanation } from '../src/way-out.js'
import { memoryDatabase, startService, storedEgresses } from './helpers/harness.js'

/**
 * An egress's state reason is also a code (`stateExplanation`), stored beside the English
 * `stateReason` and read back after a restart: the dashboard translates codes, not sentences.
 */

const error = (code: string) => Object.assign(new Error('x'), { code })
const wayOut = (code: string) => wayOutExplanation(transportFailure(error(code)))

describe('egress state explanations', () => {
  it('a way-out failure is egress_down with its cause and code, read from the error code', () => {
    expect(wayOut('ECONNREFUSED')).toEqual({
      code: 'egress_down',
      params: { cause: 'connection_refused', code: 'ECONNREFUSED' },
    })
    expect(wayOut('UND_ERR_ABORTED')).toMatchObject({
      params: { cause: 'tunnel_refused', code: 'UND_ERR_ABORTED' },
    })
    expect(wayOut('UND_ERR_SOCKS5_AUTH')).toMatchObject({ params: { cause: 'socks_refused' } })
    expect(wayOut('ETIMEDOUT')).toMatchObject({ params: { cause: 'timeout' } })
    expect(wayOut('UND_ERR_CONNECT_TIMEOUT')).toMatchObject({ params: { cause: 'timeout' } })
    expect(wayOut('EHOSTUNREACH')).toEqual({
      code: 'egress_down',
      params: { cause: 'failed', code: 'EHOSTUNREACH' },
    })
    expect(wayOutExplanation(transportFailure(new Error('no code')))).toEqual({
      code: 'egress_down',
      params: { cause: 'failed', code: 'UNKNOWN' },
    })
  })

  it('down, blocked, up and disabled: stored, answered, and kept across a restart', async () => {
    const clock = createManualClock()
    const db = memoryDatabase()
    const first = await startService({ db, clock, settings: { egressBlockMinutes: 30 } })
    const down = (await first.service.create({ url: 'http://127.0.0.1:3128' })).id
    const blocked = (await first.service.create({ url: 'http://127.0.0.1:3129' })).id
    first.service.markDown(down, wayOut('ECONNREFUSED'))
    first.service.markBlocked(blocked, explanation('egress_blocked', { status: 403 }))
    expect(first.service.view(down)).toMatchObject({
      state: 'down',
      stateReason: 'the proxy refused the connection (ECONNREFUSED)',
      stateExplanation: {
        code: 'egress_down',
        params: { cause: 'connection_refused', code: 'ECONNREFUSED' },
      },
    })
    await first.service.close()

    const second = await startService({ db, clock, settings: { egressBlockMinutes: 30 } })
    expect(second.service.view(down)?.stateExplanation).toMatchObject({ code: 'egress_down' })
    expect(second.service.view(blocked)).toMatchObject({
      state: 'blocked',
      stateExplanation: { code: 'egress_blocked', params: { status: 403 } },
    })
    second.service.update(down, { enabled: false })
    expect(second.service.view(down)).toMatchObject({
      state: 'disabled',
      stateReason: 'disabled by admin',
      stateExplanation: { code: 'egress_disabled_by_admin', params: {} },
    })
    clock.advance(30 * 60_000)
    expect(second.service.view(blocked)).toMatchObject({
      state: 'up',
      stateReason: null,
      stateExplanation: null,
    })
    expect((await storedEgresses(db)).find((row) => row.id === blocked)?.stateExplanation).toBe(
      null,
    )
  })
})
