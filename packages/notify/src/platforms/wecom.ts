import { chatText } from '../catalog.js'
import type { Platform } from '../types.js'
import { JSON_HEADERS, readErrorCode, readPlatformAnswer } from './answers.js'

/**
 * A WeCom (企业微信) group robot: a text message to its webhook; the `key` in the URL is its only
 * secret. @see https://developer.work.weixin.qq.com/document/path/91770
 */
export const wecomPlatform: Platform = {
  build(target, message) {
    const body = JSON.stringify({ msgtype: 'text', text: { content: chatText(message) } })
    return { url: target.url, headers: { ...JSON_HEADERS }, body }
  },
  readAnswer(status, body) {
    return readPlatformAnswer(status, body, (json) => readErrorCode(json.errcode, json.errmsg))
  },
}
