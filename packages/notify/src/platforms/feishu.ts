import { createHmac } from 'node:crypto'
import { chatText } from '../catalog.js'
import type { Platform } from '../types.js'
import { JSON_HEADERS, readErrorCode, readPlatformAnswer } from './answers.js'

/**
 * Feishu/Lark's "签名校验": base64 HMAC-SHA256 keyed by `${timestamp}\n${secret}` over an empty
 * message, the timestamp in seconds.
 * @see https://open.feishu.cn/document/client-docs/bot-v3/add-custom-bot
 */
export function feishuSign(secret: string, timestampSeconds: number): string {
  return createHmac('sha256', `${timestampSeconds}\n${secret}`).update('').digest('base64')
}

/** A Feishu/Lark group robot: a text message; the signature rides in the body. */
export const feishuPlatform: Platform = {
  build(target, message, now) {
    const seconds = Math.floor(now / 1000)
    const signed =
      target.secret === null
        ? {}
        : { timestamp: String(seconds), sign: feishuSign(target.secret, seconds) }
    const body = JSON.stringify({
      ...signed,
      msg_type: 'text',
      content: { text: chatText(message) },
    })
    return { url: target.url, headers: { ...JSON_HEADERS }, body }
  },
  readAnswer(status, body) {
    // Newer robots answer `{ code, msg }`, older ones `{ StatusCode, StatusMessage }`.
    return readPlatformAnswer(
      status,
      body,
      (json) =>
        readErrorCode(json.code, json.msg) ?? readErrorCode(json.StatusCode, json.StatusMessage),
    )
  },
}
