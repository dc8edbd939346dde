import type { NotificationKind } from '@sfp/schemas'
import type { Platform } from '../types.js'
import { dingtalkPlatform } from './dingtalk.js'
import { feishuPlatform } from './feishu.js'
import { telegramPlatform } from './telegram.js'
import { webhookPlatform } from './webhook.js'
import { wecomPlatform } from './wecom.js'

export const PLATFORMS: Record<NotificationKind, Platform> = {
  webhook: webhookPlatform,
  dingtalk: dingtalkPlatform,
  feishu: feishuPlatform,
  wecom: wecomPlatform,
  telegram: telegramPlatform,
}

export { dingtalkSign } from './dingtalk.js'
export { feishuSign } from './feishu.js'
export { webhookSignature } from './webhook.js'
