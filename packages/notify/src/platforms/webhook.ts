import { createHmac } from 'node:crypto'
import type { Platform } from '../types.js'
import { httpStatusFailure, JSON_HEADERS } from './answers.js'

/** `sha256=<hex HMAC-SHA256 of the raw body, keyed by the target's secret>`. */
export function webhookSignature(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`
}

/**
 * The generic webhook: `{ event, time, severity, subject, message }` as JSON, signed in
 * `x-sfp-signature` when the target has a secret (unsigned otherwise). Any 2xx is a success.
 */
export const webhookPlatform: Platform = {
  build(target, message) {
    const body = JSON.stringify({
      event: message.event,
      time: new Date(message.time).toISOString(),
      severity: message.severity,
      subject: message.subject,
      message: message.message,
    })
    const headers: Record<string, string> = { ...JSON_HEADERS }
    if (target.secret !== null) headers['x-sfp-signature'] = webhookSignature(target.secret, body)
    return { url: target.url, headers, body }
  },
  readAnswer(status) {
    return status >= 200 && status < 300 ? { ok: true } : httpStatusFailure(status)
  },
}
