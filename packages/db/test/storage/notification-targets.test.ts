import { NOTIFICATION_EVENTS } from '@sfp/schemas'
import { expect, it } from 'vitest'
import type { NewNotificationTargetRow } from '../../src/schema.js'
import { describeStorage } from './dialects.js'
import { T0 } from './rows.js'

const newTarget = (
  kind: NewNotificationTargetRow['kind'],
  fields: Partial<NewNotificationTargetRow> = {},
): NewNotificationTargetRow => ({
  kind,
  url: `https://${kind}.example/hook?key=secret-${kind}`,
  events: ['key_invalid', 'key_invalid_recovered'],
  createdAt: T0,
  updatedAt: T0,
  ...fields,
})

describeStorage('notification targets storage', ({ open }) => {
  it('inserts with defaults, lists in creation order, removes', async () => {
    const { notificationTargets } = await open()
    const webhook = await notificationTargets.insert(newTarget('webhook', { secret: 's3cret' }))
    const telegram = await notificationTargets.insert(
      newTarget('telegram', {
        label: '值班群 "ops"',
        secret: '123:abc',
        chatId: '-100200',
        events: [...NOTIFICATION_EVENTS],
        enabled: false,
        language: 'en',
      }),
    )
    expect(webhook).toEqual({
      id: expect.any(Number),
      kind: 'webhook',
      url: 'https://webhook.example/hook?key=secret-webhook',
      label: null,
      secret: 's3cret',
      chatId: null,
      events: ['key_invalid', 'key_invalid_recovered'],
      enabled: true,
      language: 'zh',
      createdAt: T0,
      updatedAt: T0,
      lastSentAt: null,
      lastError: null,
      lastErrorAt: null,
    })
    expect(telegram).toMatchObject({
      label: '值班群 "ops"',
      chatId: '-100200',
      events: NOTIFICATION_EVENTS,
      enabled: false,
      language: 'en',
    })
    expect(telegram.id).toBeGreaterThan(webhook.id)
    expect(await notificationTargets.all()).toEqual([webhook, telegram])

    expect(await notificationTargets.remove(webhook.id)).toBe(true)
    expect(await notificationTargets.remove(webhook.id)).toBe(false)
    expect(await notificationTargets.all()).toEqual([telegram])
  })

  it('writes the defined fields of a patch, nulls included, and answers the stored row', async () => {
    const { notificationTargets } = await open()
    const target = await notificationTargets.insert(newTarget('dingtalk', { secret: 'SEC1' }))
    const later = T0 + 2 ** 33
    const failure = {
      code: 'platform_error',
      params: { status: 200, platformCode: '310000', detail: 'sign 不匹配 {x}' },
    } as const
    const failed = await notificationTargets.update(target.id, {
      lastError: failure,
      lastErrorAt: later,
      secret: null,
      label: undefined,
    })
    expect(failed).toEqual({
      ...target,
      secret: null,
      lastError: failure,
      lastErrorAt: later,
    })
    const sent = await notificationTargets.update(target.id, {
      lastSentAt: later + 1,
      lastError: null,
      events: ['queue_full'],
      updatedAt: later,
    })
    expect(sent).toMatchObject({ lastSentAt: later + 1, lastError: null, events: ['queue_full'] })
    expect(await notificationTargets.all()).toEqual([sent])

    expect(await notificationTargets.update(target.id + 100, { enabled: false })).toBeUndefined()
    await expect(notificationTargets.update(target.id, {})).rejects.toThrow('No values to set')
  })
})
