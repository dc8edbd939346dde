import { chatText } from '../catalog.js'
import type { Platform } from '../types.js'
import { JSON_HEADERS, readPlatformAnswer } from './answers.js'

/**
 * A Telegram bot: `sendMessage` to the target's chat. The bot token is the target's secret; its
 * `url` is the Bot API server (api.telegram.org unless set).
 * @see https://core.telegram.org/bots/api#sendmessage
 */
export const telegramPlatform: Platform = {
  build(target, message) {
    const base = target.url.replace(/\/+$/, '')
    const body = JSON.stringify({ chat_id: target.chatId, text: chatText(message) })
    return { url: `${base}/bot${target.secret}/sendMessage`, headers: { ...JSON_HEADERS }, body }
  },
  readAnswer(status, body) {
    return readPlatformAnswer(status, body, (json) => {
      if (json.ok === true) return { ok: true }
      if (json.ok !== false) return undefined
      const code = json.error_code
      return {
        ok: false,
        platformCode: typeof code === 'number' ? String(code) : null,
        detail: typeof json.description === 'string' ? json.description : null,
      }
    })
  },
}
