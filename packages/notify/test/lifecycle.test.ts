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

describe('the notifier never blocks, holds a bounded queue and closes cleanly', () => {
  it('raise and clear return at once; beyond the queue limit messages are dropped and counted', async () => {
    receiver = await startReceiver('hang')
    ;({ notifier } = notifierFor([target({ url: receiver.url })], { queueLimit: 2 }))
    for (const id of [1, 2, 3, 4]) {
      notifier.raise({ ...KEY_INVALID, subjectId: `key:${id}`, subject: `key ${id}` })
    }
    expect(notifier.status()).toMatchObject({
      queued: 2,
      dropped: 2,
      activeConditions: 4,
      targets: [{ id: 1, queued: 2, dropped: 2 }],
    })
    // The dropped raise was never queued, so its recovery is not sent either.
    notifier.clear('key_invalid', 'key:4')
    expect(notifier.status()).toMatchObject({ queued: 2, dropped: 2, activeConditions: 3 })
  })

  it('close() aborts a hanging send, stops the timers and leaves no socket open', async () => {
    receiver = await startReceiver('hang')
    let clock: ReturnType<typeof notifierFor>['clock']
    ;({ notifier, clock } = notifierFor([target({ url: receiver.url })]))
    notifier.raise(KEY_INVALID)
    notifier.clear('key_invalid', 'key:12')
    await receiver.next()
    expect(await receiver.connections()).toBe(1)
    const testing = notifier.sendTest(target({ url: receiver.url }))
    await receiver.next()
    await notifier.close()
    expect(await testing).toEqual({
      ok: false,
      status: null,
      error: { code: 'closed', params: {} },
    })
    expect(clock.pendingTimers()).toBe(0)
    expect(notifier.status().queued).toBe(0)
    await until(async () => (await receiver.connections()) === 0)
    notifier.raise({ ...KEY_INVALID, subjectId: 'key:99' })
    expect(notifier.status()).toMatchObject({ queued: 0, activeConditions: 0 })
    expect(clock.pendingTimers()).toBe(0)
  })

  it('close() during a backoff cancels the wait', async () => {
    receiver = await startReceiver({ status: 500 })
    let clock: ReturnType<typeof notifierFor>['clock']
    ;({ notifier, clock } = notifierFor([target({ url: receiver.url })]))
    notifier.raise(KEY_INVALID)
    await receiver.next()
    await until(() => notifier.status().targets[0]?.lastError !== null)
    await notifier.close()
    expect(clock.pendingTimers()).toBe(0)
    await until(async () => (await receiver.connections()) === 0)
  })

  it('a target list that cannot be read costs the message, never an exception', async () => {
    receiver = await startReceiver()
    let fail = true
    const targets = [target({ url: receiver.url })]
    ;({ notifier } = notifierFor([], {
      targets: () => {
        if (fail) throw new Error('database is gone')
        return targets
      },
    }))
    expect(() => notifier.raise(KEY_INVALID)).not.toThrow()
    fail = false
    notifier.raise({ ...KEY_INVALID, subjectId: 'key:2' })
    await receiver.next()
    expect(receiver.received).toHaveLength(1)
  })
})

describe('sendTest', () => {
  it('sends the test message whatever the events, and says ok with the status', async () => {
    receiver = await startReceiver({ status: 200, json: { code: 0 } })
    ;({ notifier } = notifierFor([]))
    const feishu = target({ kind: 'feishu', url: receiver.url, events: ['queue_full'] })
    expect(await notifier.sendTest(feishu)).toEqual({ ok: true, status: 200, error: null })
    const body = JSON.parse((await receiver.next()).body)
    expect(body.content.text).toContain('【SiliconFlow Proxy】测试消息')
  })

  it('answers the failure as a code, without retrying', async () => {
    receiver = await startReceiver({
      status: 200,
      json: { ok: false, error_code: 400, description: 'Bad Request: chat not found' },
    })
    ;({ notifier } = notifierFor([]))
    const telegram = target({ kind: 'telegram', url: receiver.url, secret: '1:x', chatId: '42' })
    expect(await notifier.sendTest(telegram)).toEqual({
      ok: false,
      status: 200,
      error: {
        code: 'platform_error',
        params: { status: 200, platformCode: '400', detail: 'Bad Request: chat not found' },
      },
    })
    expect(receiver.received).toHaveLength(1)
  })
})
