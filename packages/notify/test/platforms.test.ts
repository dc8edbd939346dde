import { createHmac } from 'node:crypto'
import { START } from '@sfp/test-support'
import { afterEach, describe, expect, it } from 'vitest'
import { KEY_INVALID, notifierFor, target } from './fixtures.js'
import { type Receiver, startReceiver } from './receiver.js'

let receiver: Receiver
let closeNotifier: () => Promise<void> = async () => {}
afterEach(async () => {
  await closeNotifier()
  await receiver.close()
})

async function firstRequestTo(fields: Parameters<typeof target>[0]) {
  const setup = notifierFor([target(fields)])
  closeNotifier = setup.notifier.close
  setup.notifier.raise(KEY_INVALID)
  const request = await receiver.next()
  return { request, ...setup }
}

const zhText = [
  '【SiliconFlow Proxy】密钥失效',
  '密钥 sk-ab…yz 已失效（上游拒绝了它），不再使用。原因：HTTP 401',
  '2026-01-01 20:00:00（北京时间）',
].join('\n')

describe('the body each platform gets', () => {
  it('webhook: exactly { event, time, severity, subject, message }, signed with the secret', async () => {
    receiver = await startReceiver()
    const { request } = await firstRequestTo({ url: `${receiver.url}/hook`, secret: 's3cret' })
    expect(request.method).toBe('POST')
    expect(request.url).toBe('/hook')
    expect(request.headers['content-type']).toBe('application/json; charset=utf-8')
    expect(JSON.parse(request.body)).toEqual({
      event: 'key_invalid',
      time: new Date(START).toISOString(),
      severity: 'warning',
      subject: 'sk-ab…yz',
      message: '密钥 sk-ab…yz 已失效（上游拒绝了它），不再使用。原因：HTTP 401',
    })
    const expected = createHmac('sha256', 's3cret').update(request.body).digest('hex')
    expect(request.headers['x-sfp-signature']).toBe(`sha256=${expected}`)
  })

  it('webhook without a secret: the same body, unsigned', async () => {
    receiver = await startReceiver()
    const { request } = await firstRequestTo({ url: receiver.url, language: 'en' })
    expect(request.headers['x-sfp-signature']).toBeUndefined()
    expect(JSON.parse(request.body)).toMatchObject({
      event: 'key_invalid',
      message:
        'Key sk-ab…yz is invalid (upstream rejected it) and is no longer used. Reason: HTTP 401',
    })
  })

  it('DingTalk: a text message, timestamp and sign in the query', async () => {
    receiver = await startReceiver({ status: 200, json: { errcode: 0, errmsg: 'ok' } })
    const { request } = await firstRequestTo({
      kind: 'dingtalk',
      url: `${receiver.url}/robot/send?access_token=tok123`,
      secret: 'SECdingtalk',
    })
    const url = new URL(request.url, receiver.url)
    expect(url.pathname).toBe('/robot/send')
    expect(url.searchParams.get('access_token')).toBe('tok123')
    const timestamp = url.searchParams.get('timestamp')
    expect(timestamp).toBe(String(START))
    const sign = createHmac('sha256', 'SECdingtalk')
      .update(`${timestamp}\nSECdingtalk`)
      .digest('base64')
    expect(url.searchParams.get('sign')).toBe(sign)
    expect(request.url).toContain(`sign=${encodeURIComponent(sign)}`)
    expect(JSON.parse(request.body)).toEqual({ msgtype: 'text', text: { content: zhText } })
  })

  it('Feishu: a text message, timestamp (seconds) and sign in the body', async () => {
    receiver = await startReceiver({ status: 200, json: { code: 0, msg: 'success' } })
    const { request } = await firstRequestTo({
      kind: 'feishu',
      url: `${receiver.url}/open-apis/bot/v2/hook/abc`,
      secret: 'feishuSecret',
    })
    expect(request.url).toBe('/open-apis/bot/v2/hook/abc')
    const body = JSON.parse(request.body)
    const seconds = String(Math.floor(START / 1000))
    const sign = createHmac('sha256', `${seconds}\nfeishuSecret`).update('').digest('base64')
    expect(body).toEqual({ timestamp: seconds, sign, msg_type: 'text', content: { text: zhText } })
  })

  it('WeCom: a text message to the robot URL as given', async () => {
    receiver = await startReceiver({ status: 200, json: { errcode: 0, errmsg: 'ok' } })
    const { request } = await firstRequestTo({
      kind: 'wecom',
      url: `${receiver.url}/cgi-bin/webhook/send?key=wk-1`,
    })
    expect(request.url).toBe('/cgi-bin/webhook/send?key=wk-1')
    expect(JSON.parse(request.body)).toEqual({ msgtype: 'text', text: { content: zhText } })
  })

  it('Telegram: sendMessage of the bot token to the chat, in English when set', async () => {
    receiver = await startReceiver({ status: 200, json: { ok: true, result: {} } })
    const { request, notifier } = await firstRequestTo({
      kind: 'telegram',
      url: `${receiver.url}/`,
      secret: '123456:ABC-def',
      chatId: '-1001234',
      language: 'en',
    })
    expect(request.url).toBe('/bot123456:ABC-def/sendMessage')
    expect(JSON.parse(request.body)).toEqual({
      chat_id: '-1001234',
      text: [
        '[SiliconFlow Proxy] Key invalid',
        'Key sk-ab…yz is invalid (upstream rejected it) and is no longer used. Reason: HTTP 401',
        '2026-01-01 12:00:00 UTC',
      ].join('\n'),
    })
    await expect.poll(() => notifier.status().targets[0]?.sent).toBe(1)
  })
})
