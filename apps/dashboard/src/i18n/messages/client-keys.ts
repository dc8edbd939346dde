import type { Message } from './message.js'

export const clientKeysMessages = {
  'clientKeys.title': { zh: '客户端密钥', en: 'Client keys' },
  'clientKeys.intro': {
    zh: '客户端（你的应用、SDK）用这些密钥访问本代理，而不是直接使用硅基流动的密钥。',
    en: 'Clients (your apps and SDKs) use these keys to call this proxy instead of SiliconFlow keys.',
  },
  'clientKeys.envKeys': {
    zh: '另有 {count} 个来自环境变量 PROXY_API_KEYS 的密钥（不在此列出）。',
    en: '{count} more come from the PROXY_API_KEYS environment variable (not listed).',
  },
  'clientKeys.create': { zh: '创建客户端密钥', en: 'Create a client key' },
  'clientKeys.name': { zh: '名称', en: 'Name' },
  'clientKeys.nameHint': {
    zh: '例如使用它的应用或人的名字。',
    en: 'For example the app or person using it.',
  },
  'clientKeys.submit': { zh: '创建', en: 'Create' },
  'clientKeys.created': { zh: '已创建客户端密钥“{name}”', en: 'Client key “{name}” created' },
  'clientKeys.onceTitle': { zh: '请立即复制这个密钥', en: 'Copy this key now' },
  'clientKeys.onceWarning': {
    zh: '这是唯一一次显示完整密钥。服务器只保存它的哈希，关闭后将无法再次查看。',
    en: 'This is the only time the full key is shown. The server stores only its hash; once closed it cannot be shown again.',
  },
  'clientKeys.plaintextLabel': { zh: '新的客户端密钥', en: 'The new client key' },
  'clientKeys.copyLabel': { zh: '复制新的客户端密钥', en: 'Copy the new client key' },
  'clientKeys.dismiss': { zh: '我已保存，关闭', en: 'I have saved it, close' },
  'clientKeys.empty': {
    zh: '还没有在面板中创建的客户端密钥。',
    en: 'No client keys made in the dashboard yet.',
  },
  'clientKeys.col.name': { zh: '名称', en: 'Name' },
  'clientKeys.col.prefix': { zh: '前缀', en: 'Prefix' },
  'clientKeys.col.created': { zh: '创建时间', en: 'Created' },
  'clientKeys.col.lastUsed': { zh: '最近使用', en: 'Last used' },
  'clientKeys.col.requests': { zh: '请求数', en: 'Requests' },
  'clientKeys.revoke': { zh: '吊销', en: 'Revoke' },
  'clientKeys.revokeLabel': { zh: '吊销客户端密钥“{name}”', en: 'Revoke client key “{name}”' },
  'clientKeys.revokeTitle': { zh: '吊销“{name}”？', en: 'Revoke “{name}”?' },
  'clientKeys.revokeWarning': {
    zh: '使用这个密钥的客户端会立即收到 401 错误。此操作无法撤销。',
    en: 'Clients using this key get 401 errors at once. This cannot be undone.',
  },
  'clientKeys.revoked': { zh: '已吊销“{name}”', en: '“{name}” revoked' },
  'clientKeys.imported': { zh: '从 siliconflowProxy 导入', en: 'From siliconflowProxy' },
  'clientKeys.importedHint': {
    zh: '“{name}”是旧 siliconflowProxy 的 ADMIN_PASSWORD，导入后旧客户端可以继续使用。它是一个人为设置的密码，比生成的密钥弱：请创建新的客户端密钥，在客户端中替换后吊销它。',
    en: '“{name}” is the old siliconflowProxy ADMIN_PASSWORD, imported so old clients keep working. It is a chosen password, weaker than a generated key: create a new client key, switch your clients to it, then revoke this one.',
  },
} satisfies Record<string, Message>
