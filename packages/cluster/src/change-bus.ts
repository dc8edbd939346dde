import { createHash } from 'node:crypto'
import type { Clock } from '@sfp/runtime'
import pg from 'pg'
import { timedQuery } from './database-time.js'
import { NotificationTooLargeError } from './errors.js'

/** A change told by one instance to the others (docs/behaviour.md §9: within 2 s). */
export interface ChangeMessage<Payload = unknown> {
  topic: string
  /** Small JSON: ids and what happened to them, never rows; the receiver reads the rows. */
  payload: Payload
  /** The publishing instance's id. */
  origin: string
  /** The publisher's `clock.now()` when it sent the change: receivers measure the delay. */
  sentAt: number
}

/** Why `resync` is called: notifications may have been missed, or the periodic safety net. */
export type ResyncReason = 'reconnect' | 'periodic'

export interface ChangeBusOptions {
  /** `PostgresHandle`: the pool publishes; its settings open the dedicated listening connection. */
  handle: { pool: pg.Pool; schema: string }
  instanceId: string
  clock: Clock
  /** Reload what may have changed unseen: after a reconnect, and every `reconcileEveryMs`. */
  resync?: ((reason: ResyncReason) => void | Promise<void>) | undefined
  reconcileEveryMs?: number | undefined
  /** First delay before reconnecting; doubles at each failure up to `reconnectMaxMs`. */
  reconnectMinMs?: number | undefined
  reconnectMaxMs?: number | undefined
  /** A lost connection, a failed reconnect, a handler or resync that threw. Never secrets. */
  onError?: ((error: unknown) => void) | undefined
}

export interface ChangeBus {
  /** Opens the listening connection; rejects when the first connection fails. */
  start(): Promise<void>
  /** Tells the other instances; `payload` must stay small (ids). */
  publish(topic: string, payload?: unknown): Promise<void>
  /** Calls `handler` for each change of `topic` published by another instance. */
  subscribe<Payload = unknown>(
    topic: string,
    handler: (message: ChangeMessage<Payload>) => void | Promise<void>,
  ): () => void
  /** True while the listening connection is up. */
  listening(): boolean
  stop(): Promise<void>
}

/** PostgreSQL refuses NOTIFY payloads of 8000 bytes or more (default build). */
export const NOTIFY_PAYLOAD_LIMIT = 7999

/**
 * The channel of one deployment: the schema's name in it, since NOTIFY channels are per
 * database and two deployments (or two tests) may share one database in different schemas.
 * Channel names are identifiers, at most 63 bytes: a long schema name is hashed.
 */
export function changeChannel(schema: string): string {
  const channel = `sfp_changes:${schema}`
  if (Buffer.byteLength(channel) <= 63) return channel
  return `sfp_changes:${createHash('sha256').update(schema).digest('hex').slice(0, 32)}`
}

/** LISTEN/NOTIFY between the instances of a cluster, with reconnection and a periodic reconcile. */
export function createChangeBus(options: ChangeBusOptions): ChangeBus {
  const { handle, instanceId, clock } = options
  const resync = options.resync ?? (() => {})
  const reconcileEveryMs = options.reconcileEveryMs ?? 30_000
  const reconnectMinMs = options.reconnectMinMs ?? 100
  const reconnectMaxMs = options.reconnectMaxMs ?? 5_000
  const onError = options.onError ?? (() => {})
  const channel = changeChannel(handle.schema)
  const handlers = new Map<string, Set<(message: ChangeMessage) => void | Promise<void>>>()

  let client: pg.Client | undefined
  let stopped = false
  let failures = 0
  let cancelReconnect = () => {}
  let cancelReconcile = () => {}

  /** Settings of the handle's pool; pg-pool keeps the password out of enumeration. */
  function clientConfig(): pg.ClientConfig {
    const poolOptions = handle.pool.options
    return { ...poolOptions, password: poolOptions.password, keepAlive: true }
  }

  async function listen(): Promise<void> {
    const next = new pg.Client(clientConfig())
    next.on('error', (error) => dropped(next, error))
    next.on('end', () => dropped(next))
    next.on('notification', ({ channel: from, payload }) => {
      if (from === channel && payload !== undefined) deliver(payload)
    })
    try {
      await next.connect()
      await next.query(`LISTEN "${channel.replaceAll('"', '""')}"`)
    } catch (error) {
      next.removeAllListeners('end')
      await next.end().catch(() => {})
      throw error
    }
    if (stopped) {
      await next.end().catch(() => {})
      return
    }
    client = next
  }

  function dropped(which: pg.Client, error?: Error): void {
    if (which !== client) return
    client = undefined
    if (error !== undefined) onError(error)
    which.end().catch(() => {})
    reconnectLater()
  }

  function reconnectLater(): void {
    if (stopped) return
    cancelReconnect()
    const delay = Math.min(reconnectMaxMs, reconnectMinMs * 2 ** failures)
    cancelReconnect = clock.setTimer(() => {
      listen().then(
        () => {
          failures = 0
          // Changes published while the connection was down were never delivered.
          if (client !== undefined) runResync('reconnect')
        },
        (error: unknown) => {
          failures += 1
          onError(error)
          reconnectLater()
        },
      )
    }, delay)
  }

  function runResync(reason: ResyncReason): void {
    Promise.resolve()
      .then(() => resync(reason))
      .catch(onError)
  }

  /** Every reconcile: the safety net reload, and a ping that finds a silently dead connection. */
  function reconcileLater(): void {
    if (stopped) return
    cancelReconcile = clock.setTimer(() => {
      const current = client
      if (current !== undefined) {
        current
          .query(timedQuery('SELECT 1', [], Math.min(reconcileEveryMs, 10_000)))
          .catch((error: Error) => dropped(current, error))
      }
      runResync('periodic')
      reconcileLater()
    }, reconcileEveryMs)
  }

  function deliver(text: string): void {
    const message = parseMessage(text)
    if (message === undefined || message.origin === instanceId) return
    for (const handler of handlers.get(message.topic) ?? []) {
      Promise.resolve()
        .then(() => handler(message))
        .catch(onError)
    }
  }

  return {
    async start() {
      await listen()
      reconcileLater()
    },

    async publish(topic, payload = null) {
      const message: ChangeMessage = { topic, payload, origin: instanceId, sentAt: clock.now() }
      const text = JSON.stringify(message)
      const bytes = Buffer.byteLength(text)
      if (bytes > NOTIFY_PAYLOAD_LIMIT) {
        throw new NotificationTooLargeError(topic, bytes, NOTIFY_PAYLOAD_LIMIT)
      }
      await handle.pool.query('SELECT pg_notify($1, $2)', [channel, text])
    },

    subscribe(topic, handler) {
      const forTopic = handlers.get(topic) ?? new Set()
      handlers.set(topic, forTopic)
      const entry = handler as (message: ChangeMessage) => void | Promise<void>
      forTopic.add(entry)
      return () => {
        forTopic.delete(entry)
      }
    },

    listening: () => client !== undefined,

    async stop() {
      stopped = true
      cancelReconnect()
      cancelReconcile()
      const current = client
      client = undefined
      await current?.end().catch(() => {})
    },
  }
}

/**
 * A notification on the channel, checked field by field: the channel is the deployment's, but
 * anything connected to the database can NOTIFY on it, so a malformed one is dropped.
 */
function parseMessage(text: string): ChangeMessage | undefined {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return undefined
  }
  if (typeof value !== 'object' || value === null) return undefined
  const { topic, payload, origin, sentAt } = value as Record<string, unknown>
  if (typeof topic !== 'string' || typeof origin !== 'string') return undefined
  if (typeof sentAt !== 'number' || !Number.isFinite(sentAt)) return undefined
  return { topic, payload, origin, sentAt }
}
