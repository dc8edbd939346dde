import {
  type ChangeBus,
  type ClusterInstance,
  createChangeBus,
  createLeaseManager,
  type LaneChange,
  type LaneSets,
  type LeaseManager,
} from '@sfp/cluster'
// Types only: the `app.dispatch`, `app.egress` and `app.keyPool` augmentations.
import type { LaneHolding } from '@sfp/dispatch'
import type {} from '@sfp/egress'
import type {} from '@sfp/key-pool'
import { instanceIdOf } from '@sfp/runtime'
import type { InstanceStatus } from '@sfp/schemas'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { isSafeMethod } from '../http/safe-methods.js'
import type { ClusterTiming } from '../metrics/server-metrics.js'

/**
 * What other instances are told about (docs/behaviour.md §9). Payloads carry no rows: a receiver
 * reads the table again.
 */
export const CHANGE_TOPICS = ['keys', 'egresses', 'client-keys', 'prices', 'notifications'] as const
export type ChangeTopic = (typeof CHANGE_TOPICS)[number]

/** `app.cluster`: this instance among the others (a cluster of one in single mode). */
export interface ClusterService {
  readonly mode: 'single' | 'cluster'
  /** INSTANCE_ID (the host name when unset). */
  readonly instanceId: string
  /** The live instances and the lanes each drives, this one marked `self`. */
  instances(): InstanceStatus[]
  /** Whether this instance runs the notification watcher (one instance of a cluster does). */
  watches(): boolean
  /** Tell the other instances that a table changed (after its rows are written). */
  publish(topic: ChangeTopic): Promise<void>
  /** Each lease renewal's round trip and each change heard from another instance (ms). */
  onTiming(listener: (timing: ClusterTiming) => void): () => void
}

declare module 'fastify' {
  interface FastifyInstance {
    cluster: ClusterService
  }
}

export interface ClusterPluginOptions {
  /** INSTANCE_ID */
  instanceId?: string | undefined
  /** LEASE_SECONDS */
  leaseSeconds: number
  /** KEY_SWITCH_GUARD_MINUTES: how long a key rests after its last use before another lane may take it. */
  guardMinutes: number
  /** Where this instance listens, for the list of instances (HOST:PORT). */
  address?: string | undefined
  /** Every how long the change bus reloads everything anyway (30 s). */
  reconcileEveryMs?: number | undefined
}

/** Admin routes and the table each one changes (the path segment after /api/manage/). */
const TOPICS_OF_ROUTE: Record<string, readonly ChangeTopic[]> = {
  'api-keys': ['keys', 'egresses'],
  import: ['keys', 'egresses', 'client-keys'],
  egresses: ['egresses', 'keys'],
  'client-keys': ['client-keys'],
  prices: ['prices'],
  notifications: ['notifications'],
}

const ADMIN_ROUTE = /^\/api\/manage\/([\w-]+)/

/** A key whose claim was refused is not tried by this instance again for this long. */
const TAKEN_RECHECK_MS = 30_000

/**
 * Runs `task` once at a time: calls made while it runs make it run once more after, so that the
 * last call always sees the state after it.
 */
function serialized(task: () => Promise<void>, onError: (error: unknown) => void) {
  let running: Promise<void> | null = null
  let again = false
  const run = (): Promise<void> => {
    if (running !== null) {
      again = true
      return running
    }
    running = (async () => {
      do {
        again = false
        try {
          await task()
        } catch (error) {
          onError(error)
        }
      } while (again)
    })().finally(() => {
      running = null
    })
    return running
  }
  return run
}

/**
 * `app.cluster`. Single mode (SQLite): one instance that drives every lane. Cluster mode
 * (DATABASE_URL, docs/behaviour.md §9): lane leases (this instance's direct egress its own, the
 * proxies shared fairly among the live instances), the dispatch sending only through lanes whose
 * lease it holds and whose rows it has read since taking them, a lapsed lane cut at once, writes of
 * a lane's guard memory fenced by its lease; and the change bus, telling the others of every
 * admin change and of key and egress state changes from traffic, and reloading what they tell.
 */
export default fp<ClusterPluginOptions>(
  async (app, options) => {
    const instanceId = instanceIdOf(options.instanceId)
    const startedAt = app.clock.now()
    const handle = app.database.postgres
    if (handle === undefined) {
      app.decorate('cluster', singleInstance(app, instanceId, startedAt, options.address))
      return
    }
    const { clock, log } = app
    const timings = new Set<(timing: ClusterTiming) => void>()
    const tellTiming = (timing: ClusterTiming) => {
      for (const listener of timings) listener(timing)
    }
    const leaseMs = options.leaseSeconds * 1000
    // Lanes whose lease is held and whose rows were read since it was taken; and those being read.
    const ready = new Set<number>()
    const gaining = new Set<number>()
    // Whether the last lease round reached the database (renewals succeed or fail as a whole).
    let databaseAnswered = true
    let seen: ClusterInstance[] = []

    const laneSets = (): LaneSets => {
      const own: number[] = []
      const shared: number[] = []
      for (const lane of app.egress.lanes()) {
        if (lane.state() === 'disabled') continue
        // The egress service holds only this instance's direct egresses, and every proxy.
        if (lane.kind === 'direct') own.push(lane.id)
        else shared.push(lane.id)
      }
      return { own, shared }
    }

    const reloadLaneRows = serialized(
      async () => {
        await app.egress.reload()
        await app.keyPool.reload()
      },
      (error) => log.warn({ err: error }, 'cluster: reading lanes again failed'),
    )

    async function onLaneChange(change: LaneChange): Promise<void> {
      for (const id of [...change.draining, ...change.lapsed, ...change.released]) {
        ready.delete(id)
        gaining.delete(id)
      }
      // Cut at once: the lease may be another instance's before what is in flight could end.
      for (const id of change.lapsed) app.dispatch.cut(id)
      if (change.lapsed.length > 0)
        log.warn({ lanes: change.lapsed }, 'cluster: lane leases lapsed')
      if (change.gained.length > 0) {
        for (const id of change.gained) gaining.add(id)
        // The previous holder's key, window and state are on the rows: read before sending.
        await reloadLaneRows()
        for (const id of change.gained) {
          if (!gaining.delete(id) || !manager.holds(id)) continue
          ready.add(id)
          app.dispatch.laneGained(id)
        }
        log.info({ lanes: change.gained }, 'cluster: driving lanes')
      }
      void refreshInstances()
    }

    const manager: LeaseManager = createLeaseManager({
      pool: handle.pool,
      instanceId,
      address: options.address,
      leaseMs,
      clock,
      lanes: laneSets,
      drain: (id, signal) => app.dispatch.drain(id, signal),
      onChange: (change) => {
        void onLaneChange(change)
      },
      onRenewed: (ms) => {
        databaseAnswered = true
        tellTiming({ kind: 'lease_renewal', ms })
      },
      onError: (error) => {
        databaseAnswered = false
        log.warn({ err: error }, 'cluster: lease round failed (database unreachable?)')
      },
      // The lane's own requests, not the database: readiness stays as the last round left it.
      onDrainError: (error, egressId) => {
        log.warn({ err: error, egressId }, 'cluster: draining a lane failed; released all the same')
      },
    })

    // Keys being claimed for a lane (`lane:key`), and keys a refused claim found another's.
    const claims = new Set<string>()
    const taken = new Map<number, number>()
    const windowMs = options.guardMinutes * 60_000
    const { upstreamKeys } = app.database

    function claimKey(laneId: number, keyId: number): boolean {
      const claim = `${laneId}:${keyId}`
      const fence = manager.fence(laneId)
      if (claims.has(claim) || fence === undefined) return false
      claims.add(claim)
      const now = clock.now()
      upstreamKeys
        .claim(keyId, laneId, now, windowMs, { instanceId, token: fence.token })
        .then(async (claimed) => {
          if (claimed) {
            app.keyPool.bind(keyId, laneId, now)
            return
          }
          // Another lane has it (or had it too recently): its rows say which, and until when.
          taken.set(keyId, clock.now() + TAKEN_RECHECK_MS)
          await app.keyPool.reload()
        })
        .catch((error: unknown) => {
          taken.set(keyId, clock.now() + TAKEN_RECHECK_MS)
          log.warn({ err: error, keyId, egressId: laneId }, 'cluster: key claim failed')
        })
        .finally(() => {
          claims.delete(claim)
          app.dispatch.serve()
        })
      return false
    }

    const holding: LaneHolding = {
      claimKey,
      keyTakenUntil: (keyId) => {
        const until = taken.get(keyId) ?? 0
        if (until > clock.now()) return until
        if (until > 0) taken.delete(keyId)
        return 0
      },
      instanceId,
      holds: (id) => ready.has(id) && manager.holds(id),
      maySend: (id) => manager.token(id) !== undefined,
      gaining: (id) => gaining.has(id),
      driverOf: (id) => seen.find((instance) => instance.lanes.includes(id))?.id ?? null,
      databaseReachable: () => databaseAnswered,
      retryAt: (now) => now + Math.max(1000, Math.round(leaseMs / 3)),
    }

    async function refreshInstances(): Promise<void> {
      try {
        seen = await manager.instances()
      } catch (error) {
        log.debug({ err: error }, 'cluster: instances not read')
      }
    }

    // Reloads, one at a time per table; a table changed meanwhile is read once more after.
    const reloads: Record<ChangeTopic, () => Promise<void>> = {
      keys: serialized(
        () => app.keyPool.reload(),
        (error) => log.warn({ err: error }, 'cluster: keys not reloaded'),
      ),
      egresses: reloadLaneRows,
      'client-keys': serialized(
        () => app.clientKeys.reload(),
        (error) => log.warn({ err: error }, 'cluster: client keys not reloaded'),
      ),
      prices: serialized(
        () => app.prices.reload(),
        (error) => log.warn({ err: error }, 'cluster: prices not reloaded'),
      ),
      notifications: serialized(
        async () => {
          if (app.hasDecorator('notifications')) await app.notifications.reload()
        },
        (error) => log.warn({ err: error }, 'cluster: notification targets not reloaded'),
      ),
    }

    const bus: ChangeBus = createChangeBus({
      handle,
      instanceId,
      clock,
      ...(options.reconcileEveryMs === undefined
        ? {}
        : { reconcileEveryMs: options.reconcileEveryMs }),
      resync: async () => {
        await Promise.all(CHANGE_TOPICS.map((topic) => reloads[topic]()))
        await refreshInstances()
      },
      onError: (error) => log.warn({ err: error }, 'cluster: change bus'),
    })
    for (const topic of CHANGE_TOPICS) {
      bus.subscribe(topic, (message) => {
        tellTiming({ kind: 'change_delay', ms: clock.now() - message.sentAt })
        return reloads[topic]()
      })
    }

    /** Written first, then told: a receiver reads the rows the change left. */
    async function publish(topic: ChangeTopic): Promise<void> {
      try {
        if (topic === 'keys') await app.keyPool.flush()
        if (topic === 'egresses') await app.egress.flush()
        if (topic === 'client-keys') await app.clientKeys.flushUsage()
        await bus.publish(topic)
      } catch (error) {
        log.warn({ err: error, topic }, 'cluster: change not told (the reconcile will catch up)')
      }
    }

    // Traffic changes keys and egresses too (cooling, invalid, a lane down or blocked): told
    // once per turn of changes. Only what this instance changed: rows read from the others are
    // never told back (an echo would make the first instance read its own change again).
    let pendingTell: (() => void) | null = null
    const tellSoon = () => {
      if (pendingTell !== null) return
      pendingTell = clock.setTimer(() => {
        pendingTell = null
        if (app.keyPool.takeLocalChanges().length > 0) void publish('keys')
        if (app.egress.takeLocalChanges().length > 0) void publish('egresses')
      }, 20)
    }
    let lastLaneSets = JSON.stringify(laneSets())
    const unsubscribe = [
      app.keyPool.onChange(tellSoon),
      app.egress.onChange(() => {
        tellSoon()
        // A lane added, removed, enabled or disabled: the split is worked out again.
        const next = JSON.stringify(laneSets())
        if (next === lastLaneSets) return
        lastLaneSets = next
        void manager.rebalance().then(refreshInstances)
      }),
    ]

    // Admin changes (docs/behaviour.md §9: on every instance within 2 s). A callback hook that
    // returns at once: it sees every response, proxied ones included, and publishes off the path.
    app.addHook('onResponse', (request: FastifyRequest, reply, done) => {
      done()
      if (isSafeMethod(request.method) || reply.statusCode >= 400) return
      const match = ADMIN_ROUTE.exec(request.url)
      const topics = match ? TOPICS_OF_ROUTE[match[1] as string] : undefined
      if (topics === undefined) return
      void (async () => {
        for (const topic of topics) await publish(topic)
      })()
    })

    // A lane's guard memory, and a key's binding to it, are the lane holder's to write.
    const fenceOf = (id: number) => manager.fence(id)
    app.egress.useLaneFences(fenceOf)
    app.keyPool.useLaneFences(fenceOf)
    app.dispatch.useLaneHolding(holding)
    app.egress.useSendGate(holding.maySend)
    await manager.start()
    try {
      await bus.start()
    } catch (error) {
      await manager.stop()
      throw error
    }
    await refreshInstances()
    // What drifts without a change being told: who is alive and drives what, and the client
    // keys' day and month counters every instance adds to (limits hold cluster-wide within this).
    const refreshEvery = Math.max(1000, Math.round(leaseMs / 3))
    let cancelRefresh: (() => void) | null = null
    const scheduleRefresh = () => {
      cancelRefresh = clock.setTimer(() => {
        void Promise.all([refreshInstances(), reloads['client-keys']()]).finally(() => {
          if (cancelRefresh !== null) scheduleRefresh()
        })
      }, refreshEvery)
    }
    scheduleRefresh()

    app.decorate('cluster', {
      mode: 'cluster',
      instanceId,
      instances: () => {
        const now = clock.now()
        const live = seen.some((instance) => instance.id === instanceId)
          ? seen
          : [
              ...seen,
              {
                id: instanceId,
                address: options.address ?? null,
                startedAt,
                lastSeenAt: now,
                lanes: [],
              },
            ]
        return live
          .map((instance) => ({
            id: instance.id,
            address: instance.address,
            startedAt: new Date(instance.startedAt).toISOString(),
            lastSeenAt: new Date(instance.lastSeenAt).toISOString(),
            // Its own: the lanes it sends through now (held, and their rows read).
            lanes:
              instance.id === instanceId
                ? manager.held().filter((id) => ready.has(id))
                : [...instance.lanes],
            self: instance.id === instanceId,
          }))
          .sort((a, b) => a.id.localeCompare(b.id))
      },
      // The first live instance by id watches; alone (or not yet seen), this one.
      watches: () => {
        const first = seen.map((instance) => instance.id).sort()[0]
        return first === undefined || first === instanceId
      },
      publish,
      onTiming: (listener) => {
        timings.add(listener)
        return () => timings.delete(listener)
      },
    } satisfies ClusterService)
    log.info({ instanceId, lanes: manager.held() }, 'cluster mode: instance started')

    // Hand the lanes over (drained, released) while the database is still open.
    app.addHook('preClose', async () => {
      const cancel = cancelRefresh
      cancelRefresh = null
      cancel?.()
      pendingTell?.()
      pendingTell = null
      for (const stop of unsubscribe.splice(0)) stop()
      await manager.stop()
      await bus.stop()
    })
  },
  {
    name: 'cluster',
    fastify: '5.x',
    dependencies: ['clock', 'database', 'key-pool', 'egress', 'dispatch', 'client-keys', 'prices'],
  },
)

/** Single mode: this process drives every lane it has. */
function singleInstance(
  app: FastifyInstance,
  instanceId: string,
  startedAt: number,
  address: string | undefined,
): ClusterService {
  const started = new Date(startedAt).toISOString()
  return {
    mode: 'single',
    instanceId,
    instances: () => [
      {
        id: instanceId,
        address: address ?? null,
        startedAt: started,
        lastSeenAt: new Date(app.clock.now()).toISOString(),
        lanes: app.egress
          .lanes()
          .filter((lane) => lane.state() !== 'disabled')
          .map((lane) => lane.id),
        self: true,
      },
    ],
    watches: () => true,
    publish: async () => {},
    onTiming: () => () => {},
  }
}
