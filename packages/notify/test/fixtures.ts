import { NOTIFICATION_EVENTS, type NotificationTarget } from '@sfp/schemas'
import { createManualClock, type ManualClock } from '@sfp/test-support'
import { createNotifier, type NotifierOptions } from '../src/index.js'

export function target(fields: Partial<NotificationTarget> & Pick<NotificationTarget, 'url'>) {
  return {
    id: 1,
    kind: 'webhook',
    label: null,
    secret: null,
    chatId: null,
    events: NOTIFICATION_EVENTS,
    enabled: true,
    language: 'zh',
    ...fields,
  } satisfies NotificationTarget
}

export interface LoggedLine {
  details: Record<string, unknown>
  message: string
}

/** A notifier on a manual clock over a mutable target list, its log lines kept. */
export function notifierFor(
  targets: NotificationTarget[],
  options: Partial<NotifierOptions> = {},
): {
  clock: ManualClock
  notifier: ReturnType<typeof createNotifier>
  logged: LoggedLine[]
  targets: NotificationTarget[]
} {
  const clock = createManualClock()
  const logged: LoggedLine[] = []
  const notifier = createNotifier({
    clock,
    targets: () => targets,
    logger: { warn: (details, message) => logged.push({ details, message }) },
    ...options,
  })
  return { clock, notifier, logged, targets }
}

export const KEY_INVALID = {
  event: 'key_invalid',
  subjectId: 'key:12',
  subject: 'sk-ab…yz',
  facts: { detail: 'HTTP 401' },
} as const
