import type {
  NotificationCondition,
  NotificationEvent,
  NotificationFailure,
  NotificationLanguage,
  NotificationTarget,
} from '@sfp/schemas'

/** What each condition's message can say besides its subject; every fact is optional. */
export interface ConditionFacts {
  /** Upstream's or the egress's words (already shortened and masked by the caller). */
  key_invalid: { detail?: string }
  key_insufficient: { balance?: number | null }
  key_error: { detail?: string }
  balance_low: { balance?: number; threshold?: number; estimated?: boolean }
  /** `until`: when the block ends, ms since the epoch. */
  egress_blocked: { until?: number | null }
  egress_down: { detail?: string }
  /** `nextAt`: when a key or lane is expected back, ms since the epoch. */
  pool_exhausted: { nextAt?: number | null }
  queue_full: { waiting?: number; forMs?: number }
}

/**
 * Something that needs a person, as the key pool, the egresses or the dispatch raise it. The same
 * `event` and `subjectId` is one condition: it is told once until cleared.
 */
export type Condition = {
  [Event in NotificationCondition]: {
    event: Event
    /** Stable id of what it is about: `key:12`, `egress:3`, `pool`, `queue`. */
    subjectId: string
    /** How messages name it, never a secret: `sk-ab…yz (label)`, `#3 proxy.example:1080`. */
    subject: string
    facts?: ConditionFacts[Event]
  }
}[NotificationCondition]

/** One message to send: a raise, a recovery or the dashboard's test. */
export interface Notice {
  event: NotificationEvent | 'test'
  subject: string
  facts: Record<string, unknown>
  /** When it happened (ms since the epoch), not when it is sent. */
  time: number
}

export type Severity = 'critical' | 'warning' | 'info'

/** A notice in the target's language: what every platform's body is made of. */
export interface ComposedMessage {
  event: Notice['event']
  severity: Severity
  subject: string
  /** Short headline (`密钥失效` / `Key invalid`). */
  title: string
  /** The whole sentence. */
  message: string
  time: number
  language: NotificationLanguage
}

/** An HTTP request a platform builds: always a JSON POST. */
export interface OutgoingRequest {
  url: string
  headers: Record<string, string>
  body: string
}

/** What a receiver's answer came to; `retry` says whether trying again could help. */
export type AnswerVerdict =
  | { ok: true }
  | { ok: false; failure: NotificationFailure; retry: boolean }

export interface Platform {
  /** `now` is the send time (signatures), `message.time` when it happened. */
  build(target: NotificationTarget, message: ComposedMessage, now: number): OutgoingRequest
  readAnswer(status: number, body: string): AnswerVerdict
}
