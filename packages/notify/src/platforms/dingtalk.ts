import { createHmac } from 'node:crypto'
import { chatText } from '../catalog.js'
import type { Platform } from '../types.js'
import { JSON_HEADERS, readErrorCode, readPlatformAnswer } from './answers.js'

/**
 * DingTalk's "加签": base64 HMAC-SHA256 of `${timestamp}\n${secret}` keyed by the secret, the
 * timestamp in milliseconds (DingTalk refuses one more than an hour off).
 * @see https://open.dingtalk.com/document/robots/customize-robot-security-settings
 */
export function dingtalkSign(secret: string, timestamp: number): string {
  return createHmac('sha256', secret).update(`${timestamp}\n${secret}`).digest('base64')
}

/** A DingTalk group robot: a text message; the signature rides in the query. */
export const dingtalkPlatform: Platform = {
  build(target, message, now) {
    let url = target.url
    if (target.secret !== null) {
      const separator = url.includes('?') ? '&' : '?'
      const sign = encodeURIComponent(dingtalkSign(target.secret, now))
      url = `${url}${separator}timestamp=${now}&sign=${sign}`
    }
    const body = JSON.stringify({ msgtype: 'text', text: { content: chatText(message) } })
    return { url, headers: { ...JSON_HEADERS }, body }
  },
  readAnswer(status, body) {
    return readPlatformAnswer(status, body, (json) => readErrorCode(json.errcode, json.errmsg))
  },
}
