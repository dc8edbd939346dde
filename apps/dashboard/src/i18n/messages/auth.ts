import type { Message } from './message.js'

export const authMessages = {
  'signIn.title': { zh: '登录管理面板', en: 'Sign in to the dashboard' },
  'signIn.user': { zh: '用户名', en: 'User name' },
  'signIn.password': { zh: '管理员密码', en: 'Admin password' },
  'signIn.passwordHint': {
    zh: '即 ADMIN_PASSWORD；未设置时，首次启动时会在日志中打印一次。',
    en: 'ADMIN_PASSWORD; if unset, it was printed once in the log at first boot.',
  },
  'signIn.submit': { zh: '登录', en: 'Sign in' },
  'signIn.checking': { zh: '正在验证…', en: 'Checking…' },
  'signIn.wrongPassword': {
    zh: '用户名或密码错误。',
    en: 'Wrong user name or password.',
  },
  'signIn.tooMany': {
    zh: '登录失败次数过多，请在 {seconds} 秒后重试。',
    en: 'Too many failed sign-ins. Try again in {seconds} s.',
  },
  'signIn.tooManyNoTime': {
    zh: '登录失败次数过多，请稍后再试。',
    en: 'Too many failed sign-ins. Try again later.',
  },
  'signIn.expired': {
    zh: '登录已失效（密码可能已更改），请重新登录。',
    en: 'Your session ended (the password may have changed). Sign in again.',
  },
  'signIn.sessionNote': {
    zh: '登录信息只保存在当前标签页，关闭标签页即清除。',
    en: 'The login is kept in this tab only and is cleared when the tab closes.',
  },
  'signIn.passwordRequired': { zh: '请输入密码。', en: 'Enter the password.' },
} satisfies Record<string, Message>
