import type { NotificationTargetPatch, NotificationTargetRow, UpstreamKeyRow } from '@sfp/db'
import { createAesKeyCipher, isSealed, type KeyCipher, plainKeyCipher } from '@sfp/key-pool'
import { type Condition, createNotifier, type Notifier, type NotifierOptions } from '@sfp/notify'
import type { Clock } from '@sfp/runtime'
import {
  type EgressView,
  estimatedBalance,
  type ListNotificationsResponse,
  maskNotificationUrl,
  type NotificationCondition,
  type NotificationFailure,
  type NotificationTarget,
  type NotificationTargetFields,
  type NotificationTestResult,
  type NotificationView,
  type NotifierStatus,
} from '@sfp/schemas'
import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'

/**
 * `app.notifications`: the operator's notification targets (docs/behaviour.md, notifications)
 * and the watcher that tells them when a key, an egress, the pool or the queue needs a person.
 */
export interface NotificationsService {
  list(): ListNotificationsResponse
  view(id: number): NotificationView | undefined
  /** The stored target as the schemas check edits against (secrets in plain text). */
  fields(id: number): NotificationTargetFields | undefined
  create(fields: NotificationTargetFields): Promise<NotificationView>
  /** Replaces the target's fields (already merged and checked); undefined for an unknown id. */
  update(id: number, fields: NotificationTargetFields): Promise<NotificationView | undefined>
  remove(id: number): Promise<boolean>
  /** The dashboard's test button; undefined for an unknown id. */
  test(id: number): Promise<NotificationTestResult | undefined>
  status(): NotifierStatus
  /** One watcher pass now (the timer runs it every `watchIntervalMs`). */
  watch(): void
  /** Read the stored targets again (cluster mode: changed on another instance). */
  reload(): Promise<void>
}

declare module 'fastify' {
  interface FastifyInstance {
    notifications: NotificationsService
  }
}

export interface NotificationsPluginOptions {
  /** ENCRYPTION_KEY: target URLs and secrets are sealed with it, like upstream keys. */
  encryptionKey?: string | undefined
  /** LOW_BALANCE_THRESHOLD: a key's known balance below it is `balance_low`. */
  lowBalanceThreshold: number
  /** How often the watcher compares states (5 s). */
  watchIntervalMs?: number | undefined
  /** How long the queue must stay at DISPATCH_QUEUE_MAX before `queue_full` (1 min). */
  queueFullAfterMs?: number | undefined
  /**
   * Cluster mode: whether this instance is the one that watches (one instance tells each
   * condition, not every one). Always true by default.
   */
  watches?: (() => boolean) | undefined
  /** Passed to the notifier (tests: a short timeout, no retries). */
  notifier?: Partial<Pick<NotifierOptions, 'timeoutMs' | 'retries' | 'backoffMs'>> | undefined
}

/** Stored targets sealed with ENCRYPTION_KEY while none is set: refuse rather than lose them. */
export class NotificationTargetsLocked extends Error {
  constructor(count: number) {
    super(
      `${count} stored notification targets are encrypted but ENCRYPTION_KEY is not set. ` +
        'Start again with the ENCRYPTION_KEY they were stored with.',
    )
  }
}

export class NotificationTargetsMismatch extends Error {
  constructor() {
    super(
      'ENCRYPTION_KEY does not match the key the stored notification targets were encrypted ' +
        'with. Start again with the previous ENCRYPTION_KEY; nothing was changed.',
    )
  }
}

interface Entry {
  row: NotificationTargetRow
  /** The row opened: what the notifier sends to. */
  target: NotificationTarget
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString())

function viewOf({ row, target }: Entry): NotificationView {
  return {
    id: target.id,
    kind: target.kind,
    label: target.label,
    url: maskNotificationUrl(target.url),
    hasSecret: target.secret !== null,
    chatId: target.chatId,
    events: [...target.events],
    enabled: target.enabled,
    language: target.language,
    createdAt: new Date(row.createdAt).toISOString(),
    lastSentAt: iso(row.lastSentAt),
    lastError: row.lastError,
    lastErrorAt: iso(row.lastErrorAt),
  }
}

function openRow(row: NotificationTargetRow, cipher: KeyCipher): NotificationTarget {
  const open = (stored: string) =>
    cipher.encrypting && !isSealed(stored) ? stored : cipher.open(stored)
  return {
    id: row.id,
    kind: row.kind,
    label: row.label,
    url: open(row.url),
    secret: row.secret === null ? null : open(row.secret),
    chatId: row.chatId,
    events: row.events,
    enabled: row.enabled,
    language: row.language,
  }
}

/**
 * The stored targets against ENCRYPTION_KEY, like the upstream keys and proxy passwords: sealed
 * values that cannot be opened stop the boot; plaintext ones are sealed in place when a key is set.
 */
async function loadTargets(app: FastifyInstance, cipher: KeyCipher): Promise<Entry[]> {
  const storage = app.database.notificationTargets
  const rows = await storage.all()
  const values = (row: NotificationTargetRow) =>
    row.secret === null ? [row.url] : [row.url, row.secret]
  const sealed = rows.filter((row) => values(row).some(isSealed))
  if (!cipher.encrypting && sealed.length > 0) throw new NotificationTargetsLocked(sealed.length)
  const entries: Entry[] = []
  for (const row of rows) {
    let target: NotificationTarget
    try {
      target = openRow(row, cipher)
    } catch {
      throw new NotificationTargetsMismatch()
    }
    let stored = row
    if (cipher.encrypting && !values(row).every(isSealed)) {
      stored =
        (await storage.update(row.id, {
          url: cipher.seal(target.url),
          secret: target.secret === null ? null : cipher.seal(target.secret),
        })) ?? row
    }
    entries.push({ row: stored, target })
  }
  return entries
}

/** What the watcher found holding in one pass, by condition key. */
type Snapshot = Map<string, Condition>

const conditionKey = (event: NotificationCondition, subjectId: string) =>
  `${event}\u0000${subjectId}`

/** Upstream's words in a message: short, one line. */
const shortDetail = (text: string | null) =>
  text === null ? undefined : text.replace(/\s+/g, ' ').slice(0, 160)

/** Refusals that mean no key or no lane can serve at all (a switch-guard wait is not one). */
const EXHAUSTED = new Set(['no_available_key', 'no_available_egress', 'egress_blocked'])

/** What the watcher reads each pass: the key pool's rows, the egresses, the dispatch. */
export interface WatchedSources {
  keys(): Iterable<
    Readonly<
      Pick<
        UpstreamKeyRow,
        'id' | 'status' | 'maskedKey' | 'label' | 'balance' | 'spent' | 'lastError'
      >
    >
  >
  egresses(): readonly Pick<
    EgressView,
    'id' | 'label' | 'url' | 'state' | 'stateReason' | 'blockedUntil'
  >[]
  /** The queue, and the refusal a request would get now (null: it would be served). */
  dispatch(): {
    queued: number
    queueMax: number
    refusal: { code: string; retryAfterSeconds: number | null } | null
  }
}

export interface ConditionWatcherOptions {
  sources: WatchedSources
  notifier: Pick<Notifier, 'raise' | 'clear' | 'forget'>
  /** LOW_BALANCE_THRESHOLD */
  lowBalanceThreshold: number
  /** How long the queue must stay full before `queue_full`. */
  queueFullAfterMs: number
}

/**
 * Compares what holds now with the previous pass and raises or clears the notifier's conditions
 * (README of @sfp/notify, "Messages"); call it with the time of the pass. A key or egress that
 * was deleted or disabled since is forgotten, never announced as recovered. The first pass has
 * nothing to compare with, so whatever already holds then is raised (the notifier's state is in
 * memory: after a restart, what still holds is told again).
 */
export function createConditionWatcher({
  sources,
  notifier,
  lowBalanceThreshold,
  queueFullAfterMs,
}: ConditionWatcherOptions): (now: number) => void {
  let previous: Snapshot = new Map()
  let queueFullSince: number | null = null

  /** What holds now; `present`: keys and egresses that exist, `gone`: those disabled. */
  function current(now: number) {
    const holding: Snapshot = new Map()
    const present = new Set<string>()
    const gone = new Set<string>()
    const hold = (condition: Condition) =>
      holding.set(conditionKey(condition.event, condition.subjectId), condition)
    // Keys that serve now or after their cooldown: with none, nothing can be relayed.
    let liveKeys = 0
    for (const row of sources.keys()) {
      const subjectId = `key:${row.id}`
      present.add(subjectId)
      if (row.status === 'disabled') {
        gone.add(subjectId)
        continue
      }
      if (row.status === 'active' || row.status === 'cooling') liveKeys++
      const subject = row.label ? `${row.maskedKey} (${row.label})` : row.maskedKey
      const detail = shortDetail(row.lastError)
      if (row.status === 'invalid') {
        hold({ event: 'key_invalid', subjectId, subject, facts: detail ? { detail } : {} })
      } else if (row.status === 'insufficient') {
        hold({ event: 'key_insufficient', subjectId, subject, facts: { balance: row.balance } })
      } else if (row.status === 'error') {
        hold({ event: 'key_error', subjectId, subject, facts: detail ? { detail } : {} })
      }
      // The estimate (the last known balance minus the priced spend since) when there is spend.
      const estimated = row.balance !== null && row.spent !== null && row.spent !== undefined
      const balance = estimatedBalance(row.balance, row.spent ?? null)
      if (
        balance !== null &&
        balance < lowBalanceThreshold &&
        row.status !== 'invalid' &&
        row.status !== 'insufficient'
      ) {
        hold({
          event: 'balance_low',
          subjectId,
          subject,
          facts: { balance, threshold: lowBalanceThreshold, estimated },
        })
      }
    }
    for (const egress of sources.egresses()) {
      const subjectId = `egress:${egress.id}`
      present.add(subjectId)
      const subject = `#${egress.id} ${egress.label ?? egress.url}`
      if (egress.state === 'disabled') gone.add(subjectId)
      else if (egress.state === 'blocked') {
        const until = egress.blockedUntil === null ? null : Date.parse(egress.blockedUntil)
        hold({ event: 'egress_blocked', subjectId, subject, facts: { until } })
      } else if (egress.state === 'down') {
        const detail = shortDetail(egress.stateReason)
        hold({ event: 'egress_down', subjectId, subject, facts: detail ? { detail } : {} })
      }
    }
    const { queued, queueMax, refusal } = sources.dispatch()
    if (liveKeys === 0 || (refusal !== null && EXHAUSTED.has(refusal.code))) {
      const retryAfter = refusal?.retryAfterSeconds ?? null
      hold({
        event: 'pool_exhausted',
        subjectId: 'pool',
        subject: 'pool',
        facts: { nextAt: retryAfter === null ? null : now + retryAfter * 1000 },
      })
    }
    if (queued >= queueMax && queueMax > 0) {
      queueFullSince ??= now
      const forMs = now - queueFullSince
      if (forMs >= queueFullAfterMs) {
        hold({
          event: 'queue_full',
          subjectId: 'queue',
          subject: 'queue',
          facts: { waiting: queued, forMs },
        })
      }
    } else {
      queueFullSince = null
    }
    return { holding, present, gone }
  }

  return function watch(now: number): void {
    const { holding, present, gone } = current(now)
    const forgotten = new Set<string>()
    for (const [key, condition] of previous) {
      if (holding.has(key)) continue
      const { subjectId } = condition
      const removed = subjectId.includes(':') && !present.has(subjectId)
      if (removed || gone.has(subjectId)) {
        if (!forgotten.has(subjectId)) notifier.forget(subjectId)
        forgotten.add(subjectId)
      } else {
        notifier.clear(condition.event, subjectId)
      }
    }
    for (const [key, condition] of holding) if (!previous.has(key)) notifier.raise(condition)
    previous = holding
  }
}

/** Stores how each message (and each test) ended on its target, for the dashboard. */
function outcomePatch(ok: boolean, failure: NotificationFailure | null, at: number) {
  const patch: NotificationTargetPatch = ok
    ? { lastSentAt: at, lastError: null, lastErrorAt: null }
    : { lastError: failure, lastErrorAt: at }
  return patch
}

export default fp<NotificationsPluginOptions>(
  async (app, options) => {
    const clock: Clock = app.clock
    const storage = app.database.notificationTargets
    const cipher =
      options.encryptionKey === undefined || options.encryptionKey === ''
        ? plainKeyCipher
        : createAesKeyCipher(options.encryptionKey)
    const entries = new Map(
      (await loadTargets(app, cipher)).map((entry) => [entry.target.id, entry]),
    )
    const log: FastifyBaseLogger = app.log
    const writes = new Set<Promise<unknown>>()

    function recordOutcome(id: number, patch: NotificationTargetPatch) {
      const entry = entries.get(id)
      if (entry === undefined) return
      entry.row = { ...entry.row, ...patch }
      const writing = storage
        .update(id, patch)
        .catch((error: unknown) =>
          log.warn({ err: error, targetId: id }, 'notification outcome not stored'),
        )
        .finally(() => writes.delete(writing))
      writes.add(writing)
    }

    const notifier = createNotifier({
      clock,
      targets: () => [...entries.values()].map((entry) => entry.target),
      logger: log,
      ...options.notifier,
      onOutcome: (outcome) =>
        recordOutcome(
          outcome.targetId,
          outcomePatch(outcome.ok, outcome.ok ? null : outcome.failure, outcome.at),
        ),
    })

    const watcher = createConditionWatcher({
      sources: {
        keys: () => app.keyPool.rows(),
        egresses: () => app.egress.list(),
        dispatch() {
          const status = app.dispatch.status()
          const { queued, queueMax } = status.dispatch
          return { queued, queueMax, refusal: status.switchGuard.blocked }
        },
      },
      notifier,
      lowBalanceThreshold: options.lowBalanceThreshold,
      queueFullAfterMs: options.queueFullAfterMs ?? 60_000,
    })
    const watches = options.watches ?? (() => true)
    const watch = () => {
      if (!watches()) return
      try {
        watcher(clock.now())
      } catch (error) {
        log.warn({ err: error }, 'notification watcher pass failed')
      }
    }

    const sealedFields = (fields: NotificationTargetFields) => ({
      url: cipher.seal(fields.url),
      secret: fields.secret === null ? null : cipher.seal(fields.secret),
      label: fields.label,
      chatId: fields.chatId,
      events: [...fields.events],
      enabled: fields.enabled,
      language: fields.language,
    })

    const service: NotificationsService = {
      list: () => ({ notifications: [...entries.values()].map(viewOf) }),
      view(id) {
        const entry = entries.get(id)
        return entry === undefined ? undefined : viewOf(entry)
      },
      fields(id) {
        const target = entries.get(id)?.target
        if (target === undefined) return undefined
        const { id: _id, ...fields } = target
        return fields
      },
      async create(fields) {
        const time = clock.now()
        const row = await storage.insert({
          kind: fields.kind,
          ...sealedFields(fields),
          createdAt: time,
          updatedAt: time,
        })
        const entry: Entry = { row, target: { ...fields, id: row.id } }
        entries.set(row.id, entry)
        return viewOf(entry)
      },
      async update(id, fields) {
        if (!entries.has(id)) return undefined
        const row = await storage.update(id, { ...sealedFields(fields), updatedAt: clock.now() })
        if (row === undefined) {
          entries.delete(id)
          return undefined
        }
        const entry: Entry = { row, target: { ...fields, kind: row.kind, id } }
        entries.set(id, entry)
        return viewOf(entry)
      },
      async remove(id) {
        if (!entries.has(id)) return false
        await storage.remove(id)
        entries.delete(id)
        return true
      },
      async test(id) {
        const entry = entries.get(id)
        if (entry === undefined) return undefined
        const result = await notifier.sendTest(entry.target)
        recordOutcome(id, outcomePatch(result.ok, result.error, clock.now()))
        return result
      },
      status: () => notifier.status(),
      watch,
      async reload() {
        const loaded = await loadTargets(app, cipher)
        entries.clear()
        for (const entry of loaded) entries.set(entry.target.id, entry)
      },
    }
    app.decorate('notifications', service)

    const intervalMs = options.watchIntervalMs ?? 5_000
    let cancelTimer: (() => void) | null = null
    let closed = false
    const schedule = () => {
      cancelTimer = clock.setTimer(() => {
        watch()
        if (!closed) schedule()
      }, intervalMs)
    }
    // The first pass once every plugin is ready: what already holds at boot is told.
    app.addHook('onReady', async () => {
      watch()
      schedule()
    })
    app.addHook('onClose', async () => {
      closed = true
      cancelTimer?.()
      await notifier.close()
      await Promise.allSettled([...writes])
    })
    log.info({ targets: entries.size }, 'notifications ready')
  },
  {
    name: 'notifications',
    fastify: '5.x',
    dependencies: ['clock', 'database', 'key-pool', 'egress', 'dispatch'],
  },
)
