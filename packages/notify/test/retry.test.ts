import type { ManualClock } from '@sfp/test-support'
import { afterEach, describe, expect, it } from 'vitest'
import type { Notifier } from '../src/index.js'
import { KEY_INVALID, notifierFor, target } from './fixtures.js'
import { type Receiver, startReceiver, until } from './receiver.js'

let receiver: Receiver
let notifier: Notifier
afterEach(async () => {
  await notifier.close()
  await receiver.close()
})

const lastError = () => notifier.status().targets[0]?.lastError?.code

/** Waits until the notifier waits on its clock for exactly `ms` (a backoff). */
async function waitingFor(clock: ManualClock, ms: number) {
  const from = clock.now()
  await until(() => clock.pendingTimers() === 1 && clock.nextDue() === from + ms)
}

describe('retries with backoff on the clock', () => {
  it('a 500 is retried after 1 s, then succeeds', async () => {
    receiver = await startReceiver()
    receiver.reply({ status: 500 })
    let clock: ManualClock
    ;({ notifier, clock } = notifierFor([target({ url: receiver.url })]))
    notifier.raise(KEY_INVALID)
    await receiver.next()
    await waitingFor(clock, 1000)
    expect(notifier.status().targets[0]).toMatchObject({
      queued: 1,
      sent: 0,
      lastError: { code: 'http_status', params: { status: 500 } },
    })
    clock.advance(999)
    expect(receiver.received).toHaveLength(1)
    clock.advance(1)
    const second = await receiver.next()
    expect(JSON.parse(second.body)).toMatchObject({ event: 'key_invalid' })
    await expect.poll(() => notifier.status().targets[0]).toMatchObject({ queued: 0, sent: 1 })
  })

  it('the waits double (1 s, 2 s, 4 s) and the message is given up after the retries', async () => {
    receiver = await startReceiver({ status: 503 })
    let clock: ManualClock
    const outcomes: unknown[] = []
    ;({ notifier, clock } = notifierFor([target({ url: receiver.url })], {
      retries: 3,
      onOutcome: (outcome) => outcomes.push(outcome),
    }))
    notifier.raise(KEY_INVALID)
    for (const wait of [1000, 2000, 4000]) {
      await receiver.next()
      await waitingFor(clock, wait)
      clock.advance(wait)
    }
    await receiver.next()
    await expect.poll(() => notifier.status().targets[0]).toMatchObject({ queued: 0, failed: 1 })
    expect(receiver.received).toHaveLength(4)
    expect(clock.pendingTimers()).toBe(0)
    expect(outcomes).toEqual([
      {
        targetId: 1,
        event: 'key_invalid',
        ok: false,
        failure: { code: 'http_status', params: { status: 503 } },
        at: clock.now(),
      },
    ])
  })

  it('a receiver that never answers is cut at the timeout, then retried', async () => {
    receiver = await startReceiver()
    receiver.reply('hang')
    let clock: ManualClock
    ;({ notifier, clock } = notifierFor([target({ url: receiver.url })], { timeoutMs: 5000 }))
    notifier.raise(KEY_INVALID)
    await receiver.next()
    expect(clock.nextDue()).toBe(clock.now() + 5000)
    clock.advance(5000)
    await waitingFor(clock, 1000)
    expect(lastError()).toBe('timeout')
    clock.advance(1000)
    await receiver.next()
    await expect.poll(() => notifier.status().targets[0]?.sent).toBe(1)
  })

  it('a platform answering 200 with errcode != 0 is a failure, its code and words kept', async () => {
    receiver = await startReceiver({
      status: 200,
      json: { errcode: 310000, errmsg: 'keywords not in content' },
    })
    ;({ notifier } = notifierFor([target({ kind: 'dingtalk', url: receiver.url })], { retries: 0 }))
    notifier.raise(KEY_INVALID)
    await receiver.next()
    await expect
      .poll(() => notifier.status().targets[0])
      .toMatchObject({
        sent: 0,
        failed: 1,
        lastError: {
          code: 'platform_error',
          params: { status: 200, platformCode: '310000', detail: 'keywords not in content' },
        },
      })
  })

  it('a refusal (4xx) is not retried; the next message goes out', async () => {
    receiver = await startReceiver()
    receiver.reply({ status: 404 })
    ;({ notifier } = notifierFor([target({ url: receiver.url })]))
    notifier.raise(KEY_INVALID)
    notifier.clear('key_invalid', 'key:12')
    await receiver.next()
    const recovery = await receiver.next()
    expect(JSON.parse(recovery.body)).toMatchObject({ event: 'key_invalid_recovered' })
    await expect.poll(() => notifier.status().targets[0]).toMatchObject({ failed: 1, sent: 1 })
  })
})
