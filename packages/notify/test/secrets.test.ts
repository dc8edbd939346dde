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

const TOKEN = 'accessTOKEN0123456789'
const SECRET = 'SECsigningSecret42'

describe('secrets stay out of the admin view, the logs and the test answer', () => {
  it('a platform echoing the URL token and the secret has them removed', async () => {
    const echo = { errcode: 300001, errmsg: `token ${TOKEN} with sign secret ${SECRET} refused` }
    receiver = await startReceiver({ status: 200, json: echo })
    const dingtalk = target({
      kind: 'dingtalk',
      url: `${receiver.url}/robot/send?access_token=${TOKEN}`,
      secret: SECRET,
    })
    let logged: { details: Record<string, unknown>; message: string }[]
    ;({ notifier, logged } = notifierFor([dingtalk], { retries: 0 }))
    notifier.raise(KEY_INVALID)
    await receiver.next()
    await expect.poll(() => notifier.status().targets[0]?.failed).toBe(1)
    const test = await notifier.sendTest(dingtalk)
    expect(test).toEqual({
      ok: false,
      status: 200,
      error: {
        code: 'platform_error',
        params: {
          status: 200,
          platformCode: '300001',
          detail: 'token *** with sign secret *** refused',
        },
      },
    })
    const everything = JSON.stringify([notifier.status(), logged, test])
    expect(everything).toContain('***')
    expect(everything).not.toContain(TOKEN)
    expect(everything).not.toContain(SECRET)
  })

  it('a refused connection is told by its code only', async () => {
    // A port that was just free: nothing listens there any more.
    receiver = await startReceiver()
    const url = receiver.url
    await receiver.close()
    receiver = await startReceiver()
    const webhook = target({ url: `${url}/hook?token=${TOKEN}`, secret: SECRET })
    let logged: { details: Record<string, unknown>; message: string }[]
    ;({ notifier, logged } = notifierFor([webhook]))
    const test = await notifier.sendTest(webhook)
    expect(test).toEqual({
      ok: false,
      status: null,
      error: { code: 'network_error', params: { errorCode: 'ECONNREFUSED' } },
    })
    expect(JSON.stringify([logged, notifier.status()])).not.toContain(TOKEN)
  })
})
