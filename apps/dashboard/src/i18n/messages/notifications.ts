import type { Message } from './message.js'

/** The Notifications page: targets, their events, the test button and why a delivery failed. */
export const notificationsMessages = {
  'nav.notifications': { zh: '通知', en: 'Notifications' },
  'notifications.title': { zh: '通知', en: 'Notifications' },
  'notifications.intro': {
    zh: '当需要人处理时（密钥失效、出口 IP 被封、没有可用的密钥或出口、排队一直满），服务器会发消息到这里的目标；恢复时再发一条“已恢复”。同一个问题在恢复前只通知一次。',
    en: 'When something needs a person (a key died, an egress IP is blocked, no key or egress is left, the queue stays full), the server sends a message to the targets here, and another when it recovers. One problem is told once until it recovers.',
  },
  'notifications.keywordNote': {
    zh: '钉钉或飞书机器人如果用“自定义关键词”做安全设置，关键词请填 SiliconFlow Proxy。',
    en: 'A DingTalk or Feishu robot secured by keyword works with the keyword SiliconFlow Proxy.',
  },
  'notifications.add': { zh: '添加通知目标', en: 'Add a notification target' },
  'notifications.submit': { zh: '添加', en: 'Add' },
  'notifications.submitting': { zh: '正在添加…', en: 'Adding…' },
  'notifications.added': { zh: '{name} 已添加', en: '{name} added' },
  'notifications.list': { zh: '通知目标', en: 'Targets' },
  'notifications.empty': {
    zh: '还没有通知目标：出了问题也不会有人知道。',
    en: 'No targets yet: nobody is told when something goes wrong.',
  },
  'notifications.name': { zh: '{kind} #{id}', en: '{kind} #{id}' },

  'notifications.kind': { zh: '类型', en: 'Kind' },
  'notifications.kind.webhook': { zh: '通用 Webhook', en: 'Webhook' },
  'notifications.kind.dingtalk': { zh: '钉钉', en: 'DingTalk' },
  'notifications.kind.feishu': { zh: '飞书', en: 'Feishu / Lark' },
  'notifications.kind.wecom': { zh: '企业微信', en: 'WeCom' },
  'notifications.kind.telegram': { zh: 'Telegram', en: 'Telegram' },

  'notifications.field.label': { zh: '备注（可选）', en: 'Label (optional)' },
  'notifications.field.webhookUrl': { zh: '接收地址', en: 'Receiver URL' },
  'notifications.field.robotUrl': { zh: '机器人地址', en: 'Robot URL' },
  'notifications.field.apiBase': {
    zh: 'Bot API 地址（可选）',
    en: 'Bot API server (optional)',
  },
  'notifications.field.webhookSecret': {
    zh: '签名密钥（可选）',
    en: 'Signing secret (optional)',
  },
  'notifications.field.robotSecret': {
    zh: '加签密钥（可选）',
    en: 'Signing secret (optional)',
  },
  'notifications.field.botToken': { zh: '机器人令牌（bot token）', en: 'Bot token' },
  'notifications.field.chatId': { zh: '聊天 ID', en: 'Chat id' },
  'notifications.field.events': { zh: '订阅的事件', en: 'Events' },
  'notifications.field.language': { zh: '消息语言', en: 'Message language' },
  'notifications.field.enabled': { zh: '启用', en: 'Enabled' },
  'notifications.field.kind': { zh: '类型', en: 'Kind' },

  'notifications.hint.webhookUrl': {
    zh: '服务器向这个地址 POST JSON：{ event, time, severity, subject, message }。',
    en: 'The server POSTs JSON to it: { event, time, severity, subject, message }.',
  },
  'notifications.hint.webhookSecret': {
    zh: '填写后每条消息带 x-sfp-signature: sha256=…（用它对请求体做 HMAC-SHA256）。不填时接收方无法分辨伪造的消息。',
    en: 'With it, each message carries x-sfp-signature: sha256=… (HMAC-SHA256 of the body keyed by it). Without it, the receiver cannot tell a forgery.',
  },
  'notifications.hint.dingtalkUrl': {
    zh: '群机器人的 Webhook 地址，形如 https://oapi.dingtalk.com/robot/send?access_token=…',
    en: 'The group robot’s webhook, like https://oapi.dingtalk.com/robot/send?access_token=…',
  },
  'notifications.hint.dingtalkSecret': {
    zh: '安全设置选“加签”时显示的密钥（SEC 开头）。',
    en: 'The secret shown when the robot’s security setting is “signature” (starts with SEC).',
  },
  'notifications.hint.feishuUrl': {
    zh: '群机器人的 Webhook 地址，形如 https://open.feishu.cn/open-apis/bot/v2/hook/…（Lark 为 open.larksuite.com）',
    en: 'The group robot’s webhook, like https://open.feishu.cn/open-apis/bot/v2/hook/… (open.larksuite.com for Lark)',
  },
  'notifications.hint.feishuSecret': {
    zh: '安全设置开启“签名校验”时的密钥。',
    en: 'The secret of the robot’s “signature verification” setting.',
  },
  'notifications.hint.wecomUrl': {
    zh: '群机器人的 Webhook 地址，形如 https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…；地址里的 key 就是它唯一的密钥。',
    en: 'The group robot’s webhook, like https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…; its key is its only secret.',
  },
  'notifications.hint.apiBase': {
    zh: '默认 https://api.telegram.org；只有使用自建 Bot API 服务器时才需要填写。',
    en: 'https://api.telegram.org unless you run your own Bot API server.',
  },
  'notifications.hint.botToken': {
    zh: '由 @BotFather 提供，形如 123456789:AA…',
    en: 'From @BotFather, like 123456789:AA…',
  },
  'notifications.hint.chatId': {
    zh: '数字 ID（群组为负数），或 @频道名。',
    en: 'A numeric id (groups are negative) or @channelname.',
  },
  'notifications.hint.secretsStay': {
    zh: '地址和密钥只发送给服务器保存，之后地址中的密钥部分只显示为 ***，密钥不再显示。',
    en: 'The URL and secret only go to the server; afterwards the URL’s secret parts show as *** and the secret never shows again.',
  },
  'notifications.hint.keepUrl': {
    zh: '留空则保持原地址不变。',
    en: 'Leave empty to keep the current URL.',
  },
  'notifications.hint.keepSecret': {
    zh: '已保存一个密钥；留空则保持不变。',
    en: 'A secret is stored; leave empty to keep it.',
  },
  'notifications.hint.noSecret': { zh: '目前没有密钥。', en: 'No secret is stored.' },
  'notifications.removeSecret': { zh: '删除已保存的密钥', en: 'Remove the stored secret' },

  'notifications.problem.urlRequired': { zh: '请填写地址。', en: 'Give the URL.' },
  'notifications.problem.urlInvalid': {
    zh: '应为 http:// 或 https:// 开头的完整地址。',
    en: 'Must be a whole URL starting with http:// or https://.',
  },
  'notifications.problem.urlMasked': {
    zh: '这是打码后的地址（含 ***）：请填写完整地址。',
    en: 'This is the masked URL (with ***): give the whole URL.',
  },
  'notifications.problem.tooLong': { zh: '最多 {max} 个字符。', en: 'At most {max} characters.' },
  'notifications.problem.tokenRequired': {
    zh: '请填写机器人令牌。',
    en: 'Give the bot token.',
  },
  'notifications.problem.secretChars': {
    zh: '不能包含空格、“/”、“?” 或 “#”。',
    en: 'Must not contain spaces, “/”, “?” or “#”.',
  },
  'notifications.problem.chatIdRequired': { zh: '请填写聊天 ID。', en: 'Give the chat id.' },
  'notifications.problem.noEvents': {
    zh: '至少订阅一个事件。',
    en: 'Subscribe to at least one event.',
  },
  'notifications.fieldSeparator': { zh: '：', en: ': ' },

  'notifications.events.all': { zh: '全部', en: 'All' },
  'notifications.events.none': { zh: '全不选', en: 'None' },
  'notifications.events.allCount': { zh: '全部事件（{count}）', en: 'All events ({count})' },
  'notifications.events.someCount': {
    zh: '{count} / {total} 个事件',
    en: '{count} of {total} events',
  },
  'notifications.events.problem': { zh: '问题', en: 'Problem' },
  'notifications.events.recovery': { zh: '恢复', en: 'Recovery' },
  'notifications.event.key_invalid': { zh: '密钥失效', en: 'Key invalid' },
  'notifications.event.key_invalid_recovered': {
    zh: '密钥恢复可用（原失效）',
    en: 'Key usable again (was invalid)',
  },
  'notifications.event.key_insufficient': { zh: '密钥余额不足', en: 'Key out of balance' },
  'notifications.event.key_insufficient_recovered': {
    zh: '密钥恢复可用（原余额不足）',
    en: 'Key usable again (was out of balance)',
  },
  'notifications.event.key_error': { zh: '密钥出错', en: 'Key error' },
  'notifications.event.key_error_recovered': {
    zh: '密钥恢复可用（原出错）',
    en: 'Key usable again (was in error)',
  },
  'notifications.event.balance_low': { zh: '余额偏低', en: 'Balance low' },
  'notifications.event.balance_low_recovered': {
    zh: '余额恢复',
    en: 'Balance back above the threshold',
  },
  'notifications.event.egress_blocked': { zh: '出口 IP 被封', en: 'Egress IP blocked' },
  'notifications.event.egress_blocked_recovered': {
    zh: '出口已解封',
    en: 'Egress unblocked',
  },
  'notifications.event.egress_down': { zh: '出口不通', en: 'Egress down' },
  'notifications.event.egress_down_recovered': { zh: '出口恢复连通', en: 'Egress up again' },
  'notifications.event.pool_exhausted': {
    zh: '没有可用的密钥或出口',
    en: 'No usable key or egress',
  },
  'notifications.event.pool_exhausted_recovered': {
    zh: '密钥池恢复服务',
    en: 'The pool serves again',
  },
  'notifications.event.queue_full': { zh: '排队持续已满', en: 'Queue stays full' },
  'notifications.event.queue_full_recovered': {
    zh: '排队恢复接收',
    en: 'Queue accepts again',
  },

  'notifications.language.zh': { zh: '中文', en: 'Chinese' },
  'notifications.language.en': { zh: '英文', en: 'English' },

  'notifications.col.target': { zh: '目标', en: 'Target' },
  'notifications.col.address': { zh: '地址', en: 'Address' },
  'notifications.col.events': { zh: '事件', en: 'Events' },
  'notifications.col.language': { zh: '语言', en: 'Language' },
  'notifications.col.state': { zh: '状态', en: 'State' },
  'notifications.col.delivery': { zh: '最近发送', en: 'Last delivery' },
  'notifications.chat': { zh: '聊天 {chatId}', en: 'Chat {chatId}' },
  'notifications.hasSecret': { zh: '已设密钥', en: 'Secret set' },
  'notifications.unsigned': { zh: '未签名', en: 'Unsigned' },
  'notifications.state.enabled': { zh: '已启用', en: 'Enabled' },
  'notifications.state.disabled': { zh: '已停用', en: 'Disabled' },
  'notifications.lastSent': { zh: '发送成功', en: 'Sent' },
  'notifications.lastError': { zh: '发送失败', en: 'Failed' },

  'notifications.test': { zh: '发送测试', en: 'Send a test' },
  'notifications.testFor': { zh: '向“{name}”发送测试消息', en: 'Send a test message to “{name}”' },
  'notifications.testing': { zh: '发送中…', en: 'Sending…' },
  'notifications.testOk': { zh: '测试消息已送达', en: 'Test message delivered' },
  'notifications.testOkStatus': {
    zh: '测试消息已送达（HTTP {status}）',
    en: 'Test message delivered (HTTP {status})',
  },
  'notifications.testFailed': { zh: '测试失败：{reason}', en: 'Test failed: {reason}' },
  'notifications.testFailedNoReason': { zh: '测试失败', en: 'Test failed' },
  'notifications.enable': { zh: '启用', en: 'Enable' },
  'notifications.disable': { zh: '停用', en: 'Disable' },
  'notifications.enableFor': { zh: '启用“{name}”', en: 'Enable “{name}”' },
  'notifications.disableFor': { zh: '停用“{name}”', en: 'Disable “{name}”' },
  'notifications.enabled': { zh: '{name} 已启用', en: '{name} enabled' },
  'notifications.disabled': { zh: '{name} 已停用', en: '{name} disabled' },
  'notifications.edit': { zh: '编辑', en: 'Edit' },
  'notifications.editFor': { zh: '编辑“{name}”', en: 'Edit “{name}”' },
  'notifications.editTitle': { zh: '编辑“{name}”', en: 'Edit “{name}”' },
  'notifications.saved': { zh: '{name} 已保存', en: '{name} saved' },
  'notifications.delete': { zh: '删除', en: 'Delete' },
  'notifications.deleteFor': { zh: '删除“{name}”', en: 'Delete “{name}”' },
  'notifications.deleteTitle': { zh: '删除“{name}”？', en: 'Delete “{name}”?' },
  'notifications.deleteWarning': {
    zh: '它排队中的消息会被丢弃，之后不再向它发送。此操作无法撤销；只想暂时不发时，可以停用它。',
    en: 'Its waiting messages are dropped and nothing is sent to it again. This cannot be undone; to pause it, disable it instead.',
  },
  'notifications.deleted': { zh: '{name} 已删除', en: '{name} deleted' },

  'notifications.failure.http_status': {
    zh: '接收方返回 HTTP {status}',
    en: 'the receiver answered HTTP {status}',
  },
  'notifications.failure.platform_error': {
    zh: '平台拒绝了消息（HTTP {status}，错误码 {platformCode}）',
    en: 'the platform refused the message (HTTP {status}, error {platformCode})',
  },
  'notifications.failure.platform_error_no_code': {
    zh: '平台拒绝了消息（HTTP {status}）',
    en: 'the platform refused the message (HTTP {status})',
  },
  'notifications.failure.detail': { zh: '{failure}：{detail}', en: '{failure}: {detail}' },
  'notifications.failure.unreadable_answer': {
    zh: '接收方返回 HTTP {status}，但没有平台的结果（地址可能不是该平台的机器人）',
    en: 'the receiver answered HTTP {status} without the platform’s result (the URL may not be that platform’s robot)',
  },
  'notifications.failure.timeout': {
    zh: '{duration} 内没有应答',
    en: 'no answer within {duration}',
  },
  'notifications.failure.network_error': {
    zh: '网络错误（{errorCode}）：无法连接接收方',
    en: 'network error ({errorCode}): the receiver cannot be reached',
  },
  'notifications.failure.closed': {
    zh: '服务器在消息发出前关闭了',
    en: 'the server shut down before the message went out',
  },
} satisfies Record<string, Message>
