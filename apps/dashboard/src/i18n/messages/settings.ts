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
  'backup.title': { zh: '备份', en: 'Backup' },
  'backup.explain': {
    zh: '下载整个 SQLite 数据库（上游密钥、客户端密钥、请求日志和切换记录）的一致副本；下载时服务照常运行。',
    en: 'Download a consistent copy of the whole SQLite database (upstream keys, client keys, request log and switch history); the server keeps serving meanwhile.',
  },
  'backup.secret': {
    zh: '备份文件包含所有上游密钥（未设置 ENCRYPTION_KEY 时为明文），请像密码一样保管。',
    en: 'The file holds every upstream key (in plain text unless ENCRYPTION_KEY is set); keep it like a password.',
  },
  'backup.restore': {
    zh: '恢复：停止服务，用备份文件替换 DATA_DIR/api_keys.db（删除旁边残留的 api_keys.db-wal 和 api_keys.db-shm），使用相同的 ENCRYPTION_KEY 重新启动。',
    en: 'To restore: stop the server, replace DATA_DIR/api_keys.db with the file (removing any api_keys.db-wal and api_keys.db-shm beside it), and start it again with the same ENCRYPTION_KEY.',
  },
  'backup.download': { zh: '下载备份', en: 'Download backup' },
  'backup.downloaded': { zh: '已下载备份 {name}', en: 'Backup {name} downloaded' },
} satisfies Record<string, Message>
