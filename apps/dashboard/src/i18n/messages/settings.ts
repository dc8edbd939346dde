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
  'settings.placeholder.set': { zh: '已设置', en: '(set)' },
  'settings.placeholder.not_set': { zh: '未设置', en: '(not set)' },
  'settings.placeholder.generated': {
    zh: '自动生成（仅保存哈希）',
    en: '(generated, hash stored)',
  },
  'settings.placeholder.none': { zh: '无', en: '(none)' },
  'settings.placeholder.keys': { zh: '{count} 个密钥', en: '({count} keys)' },
  'settings.group.server': { zh: '服务', en: 'Server' },
  'settings.group.security': { zh: '安全与访问', en: 'Security and access' },
  'settings.group.upstream': { zh: '上游', en: 'Upstream' },
  'settings.group.pool': { zh: '密钥池', en: 'Key pool' },
  'settings.group.dispatch': { zh: '调度', en: 'Dispatch' },
  'settings.group.limits': { zh: '客户端请求限制', en: 'Client request limits' },
  'settings.group.egress': { zh: '出口', en: 'Egresses' },
  'settings.group.cluster': { zh: '集群', en: 'Cluster' },
  'settings.group.logs': { zh: '日志', en: 'Logs' },
  'settings.snippets': { zh: '接入示例', en: 'Connect a client' },
  'settings.snippetsNote': {
    zh: '把 OpenAI SDK 的 base URL 换成本服务的地址，API Key 用“客户端密钥”页面创建的密钥。',
    en: 'Point the OpenAI SDK’s base URL at this server and use a key from the Client keys page as the API key.',
  },
  'settings.baseUrl': { zh: 'Base URL', en: 'Base URL' },
  'settings.copySnippet': { zh: '复制 {name} 示例', en: 'Copy the {name} example' },
  'adminPassword.title': { zh: '管理员密码', en: 'Admin password' },
  'adminPassword.explain': {
    zh: '修改后，其他已登录的浏览器会被退出，需要用新密码重新登录；本浏览器保持登录。服务器只保存密码的哈希。',
    en: 'Other signed-in browsers are signed out and must sign in with the new password; this one stays signed in. The server keeps only a hash of the password.',
  },
  'adminPassword.fromEnv': {
    zh: '管理员密码来自环境变量 ADMIN_PASSWORD，无法在此修改。请修改环境变量（或 .env）后重启服务。',
    en: 'The admin password comes from the ADMIN_PASSWORD environment variable and cannot be changed here. Change the variable (or .env) and restart the server.',
  },
  'adminPassword.current': { zh: '当前密码', en: 'Current password' },
  'adminPassword.new': { zh: '新密码', en: 'New password' },
  'adminPassword.newHint': { zh: '至少 8 个字符。', en: 'At least 8 characters.' },
  'adminPassword.repeat': { zh: '再次输入新密码', en: 'Repeat the new password' },
  'adminPassword.submit': { zh: '修改密码', en: 'Change password' },
  'adminPassword.changed': {
    zh: '管理员密码已修改，其他浏览器需要用新密码重新登录',
    en: 'Admin password changed; other browsers must sign in with the new one',
  },
  'adminPassword.tooShort': {
    zh: '新密码至少需要 8 个字符。',
    en: 'The new password must be at least 8 characters.',
  },
  'adminPassword.tooLong': {
    zh: '新密码最多 1024 个字符。',
    en: 'The new password must be at most 1024 characters.',
  },
  'adminPassword.mismatch': {
    zh: '两次输入的新密码不一致。',
    en: 'The two new passwords do not match.',
  },
  'adminPassword.same': {
    zh: '新密码不能与当前密码相同。',
    en: 'The new password must differ from the current one.',
  },
  'adminPassword.wrongCurrent': {
    zh: '当前密码不正确。',
    en: 'The current password is wrong.',
  },
  'adminPassword.tooMany': {
    zh: '失败次数过多，请 {seconds} 秒后再试。',
    en: 'Too many failed attempts; try again in {seconds} seconds.',
  },
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
