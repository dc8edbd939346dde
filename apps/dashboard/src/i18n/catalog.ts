import type { Language } from './language.js'
import { authMessages } from './messages/auth.js'
import { clientKeysMessages } from './messages/client-keys.js'
import { commonMessages } from './messages/common.js'
import { egressesMessages } from './messages/egresses.js'
import { keysMessages } from './messages/keys.js'
import { logsMessages } from './messages/logs.js'
import { notificationsMessages } from './messages/notifications.js'
import { overviewMessages } from './messages/overview.js'
import { settingsMessages } from './messages/settings.js'

export const messages = {
  ...commonMessages,
  ...authMessages,
  ...overviewMessages,
  ...keysMessages,
  ...egressesMessages,
  ...logsMessages,
  ...clientKeysMessages,
  ...notificationsMessages,
  ...settingsMessages,
}

export type MessageKey = keyof typeof messages
export type MessageValues = Record<string, string | number>
export type Translate = (key: MessageKey, values?: MessageValues) => string

/** Looks the text up and fills `{name}` placeholders; values are plain text, never markup. */
export function translate(language: Language, key: MessageKey, values?: MessageValues): string {
  const text = messages[key][language]
  if (values === undefined) return text
  return text.replace(/\{(\w+)\}/g, (match, name: string) =>
    name in values ? String(values[name]) : match,
  )
}
