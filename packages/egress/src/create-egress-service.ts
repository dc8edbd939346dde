import type { EgressPatch, EgressRow, LaneFence, Storage, UpstreamKeyRow } from '@sfp/db'
import { createAesKeyCipher, type KeyCipher, plainKeyCipher } from '@sfp/key-pool'
import {
  type Clock,
  coalesceRowWrites,
  createWriteBehind,
  type FencedRowWrite,
  foldRowWrite,
  hasFields,
  rowWriteFields,
  systemClock,
} from '@sfp/runtime'
import {
  type EgressState,
  type ExplanationOf,
  isEgressUrlProblem,
  type ParsedProxyUrl,
  parseEgressUrl,
} from '@sfp/schemas'
import type { Dispatcher } from 'undici'
import { createEgressDispatcher, type EgressRoute } from './dispatchers.js'
import {
  directIdentity,
  ensureEgresses,
  isOwnOrShared,
  proxyIdentity,
  proxyRow,
} from './egress-boot.js'
import { checkThrough } from './egress-check.js'
import { blockedPatch, downPatch, effectiveState, stateReason, upPatch } from './egress-states.js'
import { EgressBuiltin, EgressExists, EgressNotFound } from './errors.js'
import type { EgressLane, EgressService, GuardMemory, LaneInfo } from './types.js'
import { toEgressView } from './views.js'
import { isWayOutFailure } from './way-out.js'

/** The settings egresses follow, already validated. */
export interface EgressSettings {
  upstreamBaseUrl: string
  upstreamConnectTimeoutMs: number
  /** Longest wait for an egress check's answer. */
  checkTimeoutMs: number
  egressDirect: boolean
  egressDirectAddress: string | undefined
  egressProxies: readonly ParsedProxyUrl[]
  egressBlockCodes: readonly number[]
  egressBlockMinutes: number
  encryptionKey?: string | undefined
  /**
   * Cluster mode: INSTANCE_ID. Direct egresses are this instance's own or another's
   * (`direct@<id>|...`); another instance's are not lanes here. Absent: single mode.
   */
  instanceId?: string | null | undefined
}

export interface EgressServiceDeps {
  storage: Pick<Storage, 'egresses' | 'settings'>
  settings: EgressSettings
  /** The key pool's side: bind keys used before egresses existed; unbind a deleted egress's keys. */
  keys: {
    rows(): Iterable<Readonly<UpstreamKeyRow>>
    bind(id: number, egressId: number, usedAt: number): void
    unbindEgress(egressId: number, lastUse: { keyId: number; usedAt: number } | null): void
  }
  clock?: Clock
  log?: { info(fields: object, message: string): void; warn(fields: object, message: string): void }
}

/**
 * Usage counters and each lane's switch-guard memory (while it keeps the same key) reach the
 * database within this long; a state change or a change of key at once.
 */
const ROW_FLUSH_MS = 1000

/**
 * A row's write; `fenced` (cluster mode): the lane's switch-guard memory, written only under the
 * lane's lease (docs/behaviour.md §9), apart from its counters, state and admin fields.
 */
type EgressWrite = FencedRowWrite<EgressPatch, LaneFence>

const NO_LANE_INFO: LaneInfo = {
  of: () => ({ currentKeyId: null, nextSwitchAllowedAt: null, inFlight: 0 }),
}

/** One egress at run time: its row (the working copy), its dispatcher, its retry timer. */
class Entry implements EgressLane {
  cancelTimer: (() => void) | null = null
  constructor(
    public row: EgressRow,
    public dispatcher: Dispatcher,
    private readonly directAllowed: boolean,
    private readonly now: () => number,
  ) {}
  get id() {
    return this.row.id
  }
  get kind() {
    return this.row.kind
  }
  get label() {
    return this.row.label
  }
  get builtin() {
    return this.row.builtin
  }
  state(now = this.now()): EgressState {
    return effectiveState(this.row, this.directAllowed, now)
  }
  backAt(): number | null {
    const state = this.state()
    if (state === 'blocked') return this.row.blockedUntil
    if (state === 'down') return this.row.retryAt
    return null
  }
  reason(): string | null {
    return stateReason(this.row, this.directAllowed, this.now())
  }
}

/**
 * The egresses (README "Egress lanes"): rows in memory, written through to the database, one
 * undici dispatcher each, their states (`down` with backoff and keyless re-checks, `blocked`
 * until its time) and the admin's operations on them. Loads and reconciles the stored egresses
 * at creation; rejects when stored proxy passwords do not match ENCRYPTION_KEY.
 */
export async function createEgressService(deps: EgressServiceDeps): Promise<EgressService> {
  const { settings, log } = deps
  const repository = deps.storage.egresses
  const clock = deps.clock ?? systemClock
  const { now, setTimer } = clock
  const cipher: KeyCipher =
    settings.encryptionKey === undefined
      ? plainKeyCipher
      : createAesKeyCipher(settings.encryptionKey)
  const blockCodes = new Set(settings.egressBlockCodes)
  const blockMs = settings.egressBlockMinutes * 60_000
  const entries = new Map<number, Entry>()
  const listeners = new Set<() => void>()
  // Cluster mode: set by `useLaneFences` once the leases exist; until then no lane is driven.
  let fenceOf: ((egressId: number) => LaneFence | undefined) | undefined
  const instanceId = settings.instanceId ?? null
  const writes = createWriteBehind<EgressWrite>({
    // One statement per row; the rows of a batch are distinct (coalesced).
    async write(batch) {
      await Promise.all(batch.map(writeRow))
    },
    clock,
    flushIntervalMs: ROW_FLUSH_MS,
    maxBatch: 500,
    maxQueued: 100_000,
    // A lane's counters and guard memory change on every request it serves.
    coalesce: coalesceRowWrites<EgressWrite>(foldRowWrite),
    onError: (error, items) =>
      log?.warn({ err: error, egresses: items }, 'egress write failed; will retry'),
    // Cluster mode told the others when the failed flush settled: they read the row without it.
    onWrittenAfterFailure(landed) {
      for (const { id } of landed) locallyChanged.add(id)
      changed()
    },
  })

  /**
   * A lane's guard memory goes under its lease, the rest of the row as it is (two statements on
   * distinct fields); a refused fence is another holder's lane now.
   */
  async function writeRow({ id, patch, fenced }: EgressWrite): Promise<void> {
    if (fenced === undefined) return repository.update(id, patch)
    if (hasFields(patch)) await repository.update(id, patch)
    const applied = await repository.updateFenced(id, fenced.patch, fenced.fence)
    if (!applied) log?.info({ egressId: id }, 'egress write refused: the lane has another holder')
  }
  /** Egresses changed here (state, admin fields; not counters or guard memory), added, deleted. */
  const locallyChanged = new Set<number>()
  let laneInfo = NO_LANE_INFO
  let closed = false

  function routeOf(row: EgressRow): EgressRoute {
    if (row.kind === 'direct') return { kind: 'direct', localAddress: row.localAddress }
    return {
      kind: row.kind,
      host: row.host ?? '',
      port: row.port ?? 0,
      username: row.username,
      password: row.password === null ? null : cipher.open(row.password),
    }
  }

  // Cluster mode: set by `useSendGate`; a lane's keyed requests are checked as they go out.
  let sendGate: ((egressId: number) => boolean) | undefined
  const dispatcherOf = (row: EgressRow) =>
    createEgressDispatcher(routeOf(row), {
      connectTimeoutMs: settings.upstreamConnectTimeoutMs,
      sendGate:
        instanceId === null
          ? undefined
          : {
              allows: () => sendGate?.(row.id) ?? false,
              refused: () => cutLane(row.id),
            },
    })

  function addEntry(row: EgressRow): Entry {
    const entry = new Entry(row, dispatcherOf(row), settings.egressDirect, now)
    entries.set(row.id, entry)
    scheduleComeBack(entry)
    return entry
  }

  function changed(): void {
    for (const listener of listeners) {
      try {
        listener()
      } catch (error) {
        log?.warn({ err: error }, 'egress change listener failed')
      }
    }
  }

  function require(id: number): Entry {
    const entry = entries.get(id)
    if (!entry) throw new EgressNotFound(id)
    return entry
  }

  function patch(entry: Entry, fields: EgressPatch): void {
    Object.assign(entry.row, fields)
    locallyChanged.add(entry.id)
    writes.addNow({ id: entry.id, patch: fields })
  }

  /** A `down` egress is checked again at its retry time; a block simply runs out. */
  function scheduleComeBack(entry: Entry): void {
    entry.cancelTimer?.()
    entry.cancelTimer = null
    if (closed) return
    const { state, retryAt, blockedUntil } = entry.row
    const at = state === 'down' ? retryAt : state === 'blocked' ? blockedUntil : null
    if (at === null) return
    entry.cancelTimer = setTimer(() => {
      entry.cancelTimer = null
      if (entries.get(entry.id) !== entry) return
      if (entry.row.state === 'blocked') {
        patch(entry, upPatch(now()))
        log?.info({ egressId: entry.id }, 'egress block ran out')
        changed()
      } else if (entry.row.state === 'down') {
        void recheck(entry)
      }
    }, at - now())
  }

  async function recheck(entry: Entry): Promise<void> {
    const result = await checkThrough(entry, settings, undefined)
    if (entries.get(entry.id) !== entry || entry.row.state !== 'down') return
    // The way out works when anything but the way out failed (the upstream itself, say).
    if (result.ok || result.wayOut === null) markUp(entry)
    else down(entry, result.wayOut)
  }

  function markUp(entry: Entry): void {
    if (entry.row.state === 'up') return
    patch(entry, upPatch(now()))
    scheduleComeBack(entry)
    log?.info({ egressId: entry.id }, 'egress is up again')
    changed()
  }

  function down(entry: Entry, why: ExplanationOf<'egress_down'>): void {
    patch(entry, downPatch(entry.row, why, now()))
    scheduleComeBack(entry)
    const reason = entry.row.stateReason
    log?.warn({ egressId: entry.id, reason, retryAt: entry.row.retryAt }, 'egress is down')
    changed()
  }

  for (const row of await ensureEgresses({
    repository,
    settings: deps.storage.settings,
    cipher,
    directAddress: settings.egressDirectAddress ?? null,
    proxies: settings.egressProxies,
    keys: deps.keys.rows(),
    bindKey: deps.keys.bind,
    time: now(),
    instanceId,
  })) {
    if (isOwnOrShared(row, instanceId)) addEntry(row)
  }

  /** How a row reaches the way out: a change of it needs a new dispatcher. */
  const routeKey = (row: EgressRow) =>
    JSON.stringify([row.kind, row.host, row.port, row.username, row.password, row.localAddress])

  /**
   * A new dispatcher for the lane; the old one destroyed, aborting what is in flight through it
   * (this instance may no longer send there). Destroyed on the next turn: the refusal of a send
   * gate calls this from inside the old dispatcher's own write.
   */
  function cutLane(id: number): void {
    const entry = entries.get(id)
    if (entry === undefined) return
    const old = entry.dispatcher
    entry.dispatcher = dispatcherOf(entry.row)
    setImmediate(() => {
      old.destroy().catch(() => {})
    })
  }

  function dropEntry(entry: Entry): void {
    writes.discard(entry.id)
    entry.cancelTimer?.()
    entries.delete(entry.id)
    // Waits for the requests in flight through it, refusing new ones.
    entry.dispatcher.close().catch(() => {})
  }

  const view = (entry: Entry) =>
    toEgressView(entry.row, laneInfo.of(entry.id), settings.egressDirect, now())

  return {
    lanes: () => [...entries.values()],
    lane: (id) => entries.get(id),
    list: () => [...entries.values()].map(view),
    view: (id) => view(require(id)),

    async create(body) {
      const parsed = parseEgressUrl(body.url)
      // The route validated the body with the same parser: this is a programming error.
      if (isEgressUrlProblem(parsed)) throw new TypeError(`egress URL: ${parsed.reason}`)
      const time = now()
      const label = body.label ? body.label : null
      const row =
        parsed.kind === 'direct'
          ? {
              kind: 'direct' as const,
              scheme: 'direct' as const,
              localAddress: body.localAddress ?? null,
              identity: directIdentity(body.localAddress ?? null, instanceId),
              label,
              createdAt: time,
              updatedAt: time,
            }
          : proxyRow(parsed, cipher, time, { label })
      const inserted = await repository.insert(row)
      if (inserted === undefined) {
        const identity = parsed.kind === 'direct' ? row.identity : proxyIdentity(parsed)
        const existing = [...entries.values()].find((entry) => entry.row.identity === identity)
        throw new EgressExists(existing?.id ?? 0)
      }
      const entry = addEntry(inserted)
      locallyChanged.add(entry.id)
      log?.info({ egressId: entry.id, kind: entry.kind }, 'egress added')
      changed()
      return view(entry)
    },

    update(id, body) {
      const entry = require(id)
      const fields: EgressPatch = { updatedAt: now() }
      if (body.label !== undefined) fields.label = body.label === '' ? null : body.label
      if (body.enabled !== undefined) fields.enabled = body.enabled
      patch(entry, fields)
      changed()
      return view(entry)
    },

    async remove(id) {
      const entry = require(id)
      if (entry.builtin) throw new EgressBuiltin()
      const { guardKeyId, guardUsedAt } = entry.row
      const lastUse =
        guardKeyId !== null && guardUsedAt !== null
          ? { keyId: guardKeyId, usedAt: guardUsedAt }
          : null
      // The row first: when the database refuses, nothing has changed.
      await repository.remove(id)
      if (entries.get(id) !== entry) return // removed by a concurrent call meanwhile
      deps.keys.unbindEgress(id, lastUse)
      dropEntry(entry)
      locallyChanged.add(id)
      log?.info({ egressId: id }, 'egress deleted')
      changed()
    },

    async check(id, signal) {
      const entry = require(id)
      const result = await checkThrough(entry, settings, signal)
      if (entries.get(id) !== entry) return result
      if (result.ok) markUp(entry)
      else if (result.wayOut !== null) down(entry, result.wayOut)
      return { ok: result.ok, latencyMs: result.latencyMs, error: result.error }
    },

    isBlockAnswer(body) {
      if (blockCodes.size === 0 || body === null || body.length === 0) return false
      try {
        const parsed: unknown = JSON.parse(body.toString('utf8'))
        const code = (parsed as { code?: unknown } | null)?.code
        const number = typeof code === 'string' && /^\d+$/.test(code) ? Number(code) : code
        return typeof number === 'number' && blockCodes.has(number)
      } catch {
        return false
      }
    },
    isWayOutFailure(id, error) {
      const entry = entries.get(id)
      // An egress deleted meanwhile: its dispatcher refuses, and that is the way out's doing.
      return entry === undefined ? true : isWayOutFailure(entry.kind, error)
    },
    markDown(id, why) {
      const entry = entries.get(id)
      if (entry) down(entry, why)
    },
    markBlocked(id, why) {
      const entry = entries.get(id)
      if (!entry) return
      patch(entry, blockedPatch(why, now(), blockMs))
      scheduleComeBack(entry)
      log?.warn(
        { egressId: id, blockedUntil: entry.row.blockedUntil },
        'egress blocked by upstream',
      )
      changed()
    },
    recordCall(id, ok) {
      const entry = entries.get(id)
      if (!entry || closed) return
      const counters: EgressPatch = {
        requestCount: entry.row.requestCount + 1,
        errorCount: entry.row.errorCount + (ok ? 0 : 1),
        lastUsedAt: now(),
      }
      Object.assign(entry.row, counters)
      writes.add({ id, patch: counters })
      if (ok && entry.row.state === 'down') markUp(entry)
    },

    guardMemory(id) {
      const { guardKeyId, guardUsedAt, guardSwitchAt } = require(id).row
      return { lastUsedKeyId: guardKeyId, lastUsedAt: guardUsedAt, lastSwitchAt: guardSwitchAt }
    },
    saveGuardMemory(id, memory: GuardMemory, time, urgent) {
      const entry = entries.get(id)
      if (!entry) return
      const fields: EgressPatch = {
        guardKeyId: memory.lastUsedKeyId,
        guardUsedAt: memory.lastUsedAt,
        guardSwitchAt: memory.lastSwitchAt,
        updatedAt: time,
      }
      // The memory is read from the row in memory (status, a deleted egress's last use); only
      // its write waits, unless the key changed.
      Object.assign(entry.row, fields)
      // Cluster mode: written under the lane's lease, or not at all (not ours any more).
      const fence = fenceOf?.(id)
      if (instanceId !== null && fence === undefined) return
      const write: EgressWrite =
        fence === undefined
          ? { id, patch: fields }
          : { id, patch: {}, fenced: { patch: fields, fence } }
      if (urgent) writes.addNow(write)
      else writes.add(write)
    },

    async reload() {
      if (closed) return
      const rows = (await repository.all()).filter((row) => isOwnOrShared(row, instanceId))
      const present = new Set(rows.map((row) => row.id))
      for (const row of rows) {
        const entry = entries.get(row.id)
        if (entry === undefined) {
          addEntry(row)
          continue
        }
        const route = routeKey(entry.row)
        // What this instance changed and has not written yet stays (it is newer).
        const unwritten = writes.unwritten(row.id)
        Object.assign(entry.row, row, unwritten === undefined ? {} : rowWriteFields(unwritten))
        if (routeKey(entry.row) !== route) {
          const old = entry.dispatcher
          entry.dispatcher = dispatcherOf(entry.row)
          old.close().catch(() => {})
        }
        scheduleComeBack(entry)
      }
      for (const entry of [...entries.values()]) if (!present.has(entry.id)) dropEntry(entry)
      changed()
    },
    cut: (id) => cutLane(id),
    useSendGate(gate) {
      sendGate = gate
    },
    wasCut(id, dispatcher) {
      const entry = entries.get(id)
      return entry !== undefined && entry.dispatcher !== dispatcher
    },

    flush: () => writes.flush(),
    takeLocalChanges() {
      const ids = [...locallyChanged]
      locallyChanged.clear()
      return ids
    },
    useLaneFences(fences) {
      fenceOf = fences
    },
    useLaneInfo(info) {
      laneInfo = info
    },
    onChange(listener) {
      const entry = () => listener()
      listeners.add(entry)
      return () => {
        listeners.delete(entry)
      }
    },
    async close() {
      if (closed) return
      closed = true
      await writes.close()
      for (const entry of entries.values()) {
        entry.cancelTimer?.()
        entry.cancelTimer = null
      }
      listeners.clear()
      await Promise.all(
        [...entries.values()].map((entry) => entry.dispatcher.close().catch(() => {})),
      )
    },
  }
}
