import type { Message } from './message.js'

export const settingsMessages = {
  'settings.title': { zh: '设置', en: 'Settings' },
  'settings.config': { zh: '当前生效的配置', en: 'Effective configuration' },
  'settings.configNote': {
    zh: '配置来自环境变量，修改后需重启服务。密钥类设置只显示是否已设置。',
    en: 'Settings come from environment variables; restart the server after changing them. Secrets only show whether they are set.',
  },
  'settings.col.name': { zh: '变量', en: 'Variable' },
  'settings.col.value': { zh: '值', en: 'Value' },
  'settings.col.meaning': { zh: '说明', en: 'Meaning' },
  'settings.secret': { zh: '机密', en: 'secret' },
  'settings.snippets': { zh: '接入示例', en: 'Connect a client' },
  'settings.snippetsNote': {
    zh: '把 OpenAI SDK 的 base URL 换成本服务的地址，API Key 用“客户端密钥”页面创建的密钥。',
    en: 'Point the OpenAI SDK’s base URL at this server and use a key from the Client keys page as the API key.',
  },
  'settings.baseUrl': { zh: 'Base URL', en: 'Base URL' },
  'settings.copySnippet': { zh: '复制 {name} 示例', en: 'Copy the {name} example' },
} satisfies Record<string, Message>
