import type { LaneFence } from '@sfp/db'
import { type Clock, systemClock } from '@sfp/runtime'
import { roundYuan } from '@sfp/schemas'
import type { Dispatcher } from 'undici'
import { createBackgroundChecks } from './background-checks.js'
import { createBalanceClient, type KeyCheck } from './balance-client.js'
import { openStoredKeys } from './encryption-at-rest.js'
import { CheckNotNeeded } from './errors.js'
import { applyCheckVerdict, type PoolRules, type RuleContext } from './key-checks.js'
import { createKeyDirectory } from './key-directory.js'
import { createKeyStore, type KeyPoolStorage } from './key-store.js'
import { applyOutcome, type OutcomeContext } from './outcome-rules.js'
import { selectKey } from './selection.js'
import type { KeyPoolLog, KeyPoolService, UpstreamCall, UpstreamGate } from './types.js'
import { toKeyView } from './views.js'

/** The settings the pool follows (docs/behaviour.md §2), already validated. */
export interface KeyPoolSettings {
  upstreamBaseUrl: string
  lowBalanceThreshold: number
  autoQueryBalanceAfterCalls: number
  balanceRefreshMinutes: number
  keyErrorThreshold: number
  keyErrorCooldownMinutes: number
  upstreamConnectTimeoutMs: number
  /** Longest wait for a balance or validity answer. */
  balanceCheckTimeoutMs: number
  encryptionKey?: string | undefined
}

export interface KeyPoolDeps {
  storage: KeyPoolStorage
  settings: KeyPoolSettings
  clock?: Clock
  /** undici dispatcher for balance checks; by default the pool opens (and closes) its own. */
  dispatcher?: Dispatcher
  log?: KeyPoolLog
}

const MINUTE = 60_000

/**
 * The key pool (docs/behaviour.md §4) without Fastify: state in memory, written behind to the database,
 * checks upstream through the gate the dispatch plugin installs. Loads every key at creation;
 * rejects when the stored keys do not match ENCRYPTION_KEY (see `openStoredKeys`).
 */
export async function createKeyPool(deps: KeyPoolDeps): Promise<KeyPoolService> {
  const { settings, log } = deps
  const clock = deps.clock ?? systemClock
  const now = clock.now
  const rules: PoolRules = {
    lowBalanceThreshold: settings.lowBalanceThreshold,
    autoQueryBalanceAfterCalls: settings.autoQueryBalanceAfterCalls,
    balanceRefreshMs: settings.balanceRefreshMinutes * MINUTE,
    keyErrorThreshold: settings.keyErrorThreshold,
    keyErrorCooldownMs: settings.keyErrorCooldownMinutes * MINUTE,
  }
  const { cipher, rows, encrypted } = await openStoredKeys(deps.storage, settings.encryptionKey)
  if (encrypted > 0) log?.info({ keys: encrypted }, 'stored upstream keys encrypted at rest')
  const store = createKeyStore({ storage: deps.storage, rows, clock, log })
  const client = createBalanceClient({
    baseUrl: settings.upstreamBaseUrl,
    connectTimeoutMs: settings.upstreamConnectTimeoutMs,
    timeoutMs: settings.balanceCheckTimeoutMs,
    ...(deps.dispatcher ? { dispatcher: deps.dispatcher } : {}),
  })
  const directory = createKeyDirectory(store, cipher, now)
  let gate: UpstreamGate | undefined
  let laneFences: ((egressId: number) => LaneFence | undefined) | undefined
  let stopping: Promise<void> | undefined

  const secret = (id: number) => cipher.open(store.require(id).secret)
  const view = (id: number) => toKeyView(store.require(id), store.inUse.has(id))
  const ruleContext: RuleContext = { store, rules, now }

  /** Checks the pool makes on its own or for the admin hold a dispatch slot like any request. */
  function checkThroughGate(
    id: number,
    signal?: AbortSignal,
    stillWanted?: () => boolean,
  ): Promise<KeyCheck> {
    const key = secret(id)
    const task = (call: UpstreamCall) => client.checkKey(key, call.signal, call.dispatcher)
    // Without a gate there is no queue to wait in: what the caller checked still holds.
    if (gate) return gate(id, task, signal, stillWanted)
    return task({ signal: signal ?? new AbortController().signal })
  }

  const background = createBackgroundChecks({
    refreshMs: rules.balanceRefreshMs,
    clock,
    inUse: (id) => store.inUse.has(id),
    keysInUse: () => [...store.inUse.all()],
    isProbeable: (id) => (store.get(id)?.status ?? 'disabled') !== 'disabled',
    async run(id, trigger, signal, inUse) {
      let check: KeyCheck
      try {
        check = await checkThroughGate(id, signal, inUse)
      } catch (error) {
        if (error instanceof CheckNotNeeded) return
        throw error
      }
      if (!store.get(id)) return
      applyCheckVerdict(ruleContext, id, check, trigger)
      store.changed()
    },
    reportError(error, keyId) {
      const code = (error as { code?: unknown } | null)?.code
      log?.warn({ keyId, code }, 'background balance check did not complete')
    },
  })

  const outcomeContext: OutcomeContext = {
    ...ruleContext,
    // Direct, not through the gate: report's caller already holds this attempt's slot.
    confirm: (id, via) => client.checkKey(secret(id), undefined, via),
    scheduleBalanceCheck: background.schedule,
  }

  return {
    ...directory,
    activate(id, reason) {
      // The admin vouches for the key: models upstream refused it are tried again too (after
      // real-name verification, say), and refused again if they still are.
      const fresh = {
        consecutiveErrors: 0,
        rateLimitStrikes: 0,
        rateLimitClass: null,
        blockedModels: null,
      }
      if (store.require(id).status === 'active') store.patch(id, fresh)
      else store.transition(id, 'active', { code: 'activated_by_admin', params: {} }, fresh)
      store.record({ keyId: id, type: 'override', explanation: reason })
      store.changed()
      return view(id)
    },
    async check(id, signal) {
      store.require(id)
      const result = await checkThroughGate(id, signal)
      store.require(id) // deleted while upstream was asked: 404 like any unknown id
      applyCheckVerdict(ruleContext, id, result, 'on_demand')
      store.record({
        keyId: id,
        type: 'check',
        explanation: { code: 'key_check', params: { trigger: 'on_demand', check: result.summary } },
      })
      store.changed()
      return view(id)
    },

    select(lane, time = now(), model) {
      const current = lane.currentKeyId === null ? undefined : store.get(lane.currentKeyId)
      return selectKey(store.values(), current, lane, time, model)
    },
    addSpend(id, cny) {
      const key = store.get(id)
      if (!key || !Number.isFinite(cny) || cny < 0) return
      store.touch(id, { spent: roundYuan((key.spent ?? 0) + cny) })
    },
    bind(id, egressId, time, reason) {
      const key = store.get(id)
      if (!key) return
      // Cluster mode: only under the lane's lease (a holder that stalled past it binds nothing,
      // in memory or in the database: the lane and its keys are the new holder's).
      const fence = laneFences?.(egressId)
      if (laneFences !== undefined && fence === undefined) return
      const binding = { egressId, egressUsedAt: Math.max(time, key.egressUsedAt ?? 0) }
      store.patch(id, binding, fence)
      if (reason !== undefined) store.record({ keyId: id, type: 'switch', explanation: reason })
      store.changed()
    },
    unbindEgress(egressId) {
      let changed = false
      for (const key of store.values()) {
        if (key.egressId !== egressId) continue
        store.patch(key.id, { egressId: null })
        changed = true
      }
      if (changed) store.changed()
    },
    secret,
    report: (id, outcome, via) => applyOutcome(outcomeContext, id, outcome, via),

    useUpstreamGate(next) {
      gate = next
    },
    useLaneFences(fences) {
      laneFences = fences
    },
    useKeysInUse(keys) {
      store.inUse = keys
    },
    onChange: store.onChange,
    reload: store.reload,
    flush: store.flush,
    takeLocalChanges: store.takeLocalChanges,
    settled: background.settled,
    stop() {
      // Idempotent: the plugin's onClose and a test's cleanup may both call it.
      stopping ??= background
        .stop()
        .then(() => store.close())
        .then(() => client.close())
      return stopping
    },
  }
}
