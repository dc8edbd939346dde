import { afterEach, describe, expect, it } from 'vitest'
import type { Notifier } from '../src/index.js'
import { KEY_INVALID, notifierFor, target } from './fixtures.js'
import { type Receiver, startReceiver } from './receiver.js'

let receiver: Receiver
let notifier: Notifier
afterEach(async () => {
  await notifier.close()
  await receiver.close()
})

const eventOf = (body: string) => (JSON.parse(body) as { event: string }).event
const EGRESS_DOWN = { event: 'egress_down', subjectId: 'egress:3', subject: '#3' } as const

describe('one message per condition until it clears', () => {
  it('three raises send one message; the clear sends one recovery; a second clear nothing', async () => {
    receiver = await startReceiver()
    ;({ notifier } = notifierFor([target({ url: receiver.url })]))
    notifier.raise(KEY_INVALID)
    notifier.raise(KEY_INVALID)
    notifier.raise(KEY_INVALID)
    expect(notifier.status()).toMatchObject({ queued: 1, activeConditions: 1 })
    notifier.clear('key_invalid', 'key:12')
    notifier.clear('key_invalid', 'key:12')
    expect(eventOf((await receiver.next()).body)).toBe('key_invalid')
    const recovery = JSON.parse((await receiver.next()).body)
    expect(recovery).toMatchObject({
      event: 'key_invalid_recovered',
      severity: 'info',
      subject: 'sk-ab…yz',
      message: '密钥 sk-ab…yz 重新可用。',
    })
    // A later message arrives third: nothing else was sent in between.
    notifier.raise(EGRESS_DOWN)
    expect(eventOf((await receiver.next()).body)).toBe('egress_down')
    expect(receiver.received).toHaveLength(3)
    await expect.poll(() => notifier.status()).toMatchObject({ queued: 0, activeConditions: 1 })
  })

  it('a clear without a raise sends nothing; the same event of another subject is its own', async () => {
    receiver = await startReceiver()
    ;({ notifier } = notifierFor([target({ url: receiver.url })]))
    notifier.clear('key_invalid', 'key:12')
    notifier.raise(KEY_INVALID)
    notifier.raise({ ...KEY_INVALID, subjectId: 'key:13', subject: 'sk-cd…wx' })
    const first = JSON.parse((await receiver.next()).body)
    const second = JSON.parse((await receiver.next()).body)
    expect([first.event, first.subject, second.event, second.subject]).toEqual([
      'key_invalid',
      'sk-ab…yz',
      'key_invalid',
      'sk-cd…wx',
    ])
    expect(receiver.received).toHaveLength(2)
  })

  it('forget drops the conditions of a subject without a message', async () => {
    receiver = await startReceiver()
    ;({ notifier } = notifierFor([target({ url: receiver.url })]))
    notifier.raise(KEY_INVALID)
    notifier.raise({ event: 'balance_low', subjectId: 'key:12', subject: 'sk-ab…yz' })
    notifier.raise(EGRESS_DOWN)
    notifier.forget('key:12')
    expect(notifier.status().activeConditions).toBe(1)
    notifier.clear('key_invalid', 'key:12')
    notifier.clear('egress_down', 'egress:3')
    const events = await Promise.all([1, 2, 3, 4].map(() => receiver.next()))
    expect(events.map((request) => eventOf(request.body))).toEqual([
      'key_invalid',
      'balance_low',
      'egress_down',
      'egress_down_recovered',
    ])
  })

  it('only enabled targets subscribed to the event hear it; recoveries only where the raise went', async () => {
    receiver = await startReceiver()
    const targets = [
      target({ id: 1, url: `${receiver.url}/all` }),
      target({ id: 2, url: `${receiver.url}/off`, enabled: false }),
      target({ id: 3, url: `${receiver.url}/egress`, events: ['egress_down'] }),
      target({ id: 4, url: `${receiver.url}/late` }),
    ]
    ;({ notifier } = notifierFor(targets))
    const late = targets.pop()
    notifier.raise(KEY_INVALID)
    expect((await receiver.next()).url).toBe('/all')
    if (late) targets.push(late) // added after the raise: it never heard of the condition
    notifier.clear('key_invalid', 'key:12')
    const recovery = await receiver.next()
    expect([recovery.url, eventOf(recovery.body)]).toEqual(['/all', 'key_invalid_recovered'])
    // The next condition reaches every enabled subscriber, the late one too; nothing else came.
    notifier.raise(EGRESS_DOWN)
    const down = await Promise.all([receiver.next(), receiver.next(), receiver.next()])
    expect(down.map((request) => request.url).sort()).toEqual(['/all', '/egress', '/late'])
    expect(receiver.received).toHaveLength(5)
  })
})
