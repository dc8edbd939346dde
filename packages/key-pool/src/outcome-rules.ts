import type { UpstreamKeyPatch, UpstreamKeyRow } from '@sfp/db'
import type { Explanation, ExplanationOf, KeyStatus } from '@sfp/schemas'
import type { Dispatcher } from 'undici'
import type { KeyCheck } from './balance-client.js'
import { errorFields, shortError } from './error-text.js'
import { balancePatch, lowBalance, type RuleContext } from './key-checks.js'
import { limitPeriodEnd, rateLimitClassOf } from './rate-limit-class.js'
import type { AttemptOutcome, OutcomeVerdict } from './types.js'

export interface OutcomeContext extends RuleContext {
  /**
   * Ask upstream about the key directly, through `via` (its lane): the caller already holds
   * this attempt's slot.
   */
  confirm(id: number, via: Dispatcher | undefined): Promise<KeyCheck>
  /** Check the balance later, through the gate, without holding up the caller. */
  scheduleBalanceCheck(id: number): void
}

const RATE_LIMIT_FIRST_MS = 30_000
const RATE_LIMIT_MAX_MS = 15 * 60_000

/** 30 s, 60 s, 120 s ... for the 1st, 2nd, 3rd 429 in a row, capped at 15 minutes. */
export function rateLimitCooldownMs(strikes: number): number {
  return Math.min(RATE_LIMIT_FIRST_MS * 2 ** Math.max(0, strikes - 1), RATE_LIMIT_MAX_MS)
}

/** Every outcome counts as a call made with the key. */
interface Counted extends UpstreamKeyPatch {
  callCount: number
  lastUsedAt: number
}

/**
 * Turn one attempt's outcome into the key's new state (docs/behaviour.md §4). Every outcome counts
 * as a call made with the key (`callCount`, `lastUsedAt`); only key-attributable failures count as
 * errors and change the state. A key deleted while its request was in flight reports `disabled`.
 * @see docs/behaviour.md §4 "Classifying an attempt"
 */
export async function applyOutcome(
  ctx: OutcomeContext,
  id: number,
  outcome: AttemptOutcome,
  via?: Dispatcher,
): Promise<OutcomeVerdict> {
  const key = ctx.store.get(id)
  if (!key) return { status: 'disabled', moveOn: outcome.kind !== 'success' }
  const counted: Counted = { callCount: key.callCount + 1, lastUsedAt: ctx.now() }
  try {
    switch (outcome.kind) {
      case 'success':
        return succeed(ctx, key, counted)
      case 'clientError':
        // The client's doing (bad body, unknown model, disconnect): nothing about the key changes.
        return { status: ctx.store.touch(id, counted).status, moveOn: false }
      case 'unauthorized':
        return await unauthorized(ctx, key, counted, via)
      case 'forbidden':
        return await forbidden(ctx, key, counted, outcome, via)
      case 'rateLimited':
        return rateLimited(ctx, key, counted, outcome.retryAfterMs, outcome.message ?? null)
      case 'upstreamError': {
        const detail = outcome.message ? shortError(outcome.message) : null
        const error = {
          code: 'upstream_error',
          params: { status: outcome.status, detail },
        } as const
        return await failed(ctx, key, counted, error, via)
      }
      case 'networkError': {
        const error = {
          code: 'network_error',
          params: { detail: shortError(outcome.code) },
        } as const
        return await failed(ctx, key, counted, error, via)
      }
    }
  } finally {
    ctx.store.changed()
  }
}

const SUCCESS_PROVES_KEY: Explanation = { code: 'request_succeeded', params: {} }

function succeed(ctx: OutcomeContext, key: UpstreamKeyRow, counted: Counted): OutcomeVerdict {
  const { autoQueryBalanceAfterCalls: every } = ctx.rules
  const successes = key.successesSinceCheck + 1
  const due = every > 0 && successes >= every
  // Written out, not `...counted`: a spread here was ~1.4 % of the server's CPU (bench/README.md).
  const patch = {
    callCount: counted.callCount,
    lastUsedAt: counted.lastUsedAt,
    consecutiveErrors: 0,
    rateLimitStrikes: 0,
    rateLimitClass: null,
    successesSinceCheck: due ? 0 : successes,
  }
  // With DISPATCH_CONCURRENCY > 1 a parallel attempt may have just marked the key `insufficient`
  // or `invalid`; this answer proves it works all the same. Only the admin's `disabled` stands.
  const revived = key.status !== 'active' && key.status !== 'disabled'
  // The common case, a healthy key answering, changes counters only: written behind.
  const countersOnly =
    !revived &&
    key.consecutiveErrors === 0 &&
    key.rateLimitStrikes === 0 &&
    key.rateLimitClass === null
  const row = revived
    ? ctx.store.transition(key.id, 'active', SUCCESS_PROVES_KEY, { ...patch, cooldownUntil: null })
    : countersOnly
      ? ctx.store.touch(key.id, patch)
      : ctx.store.patch(key.id, patch)
  if (due) ctx.scheduleBalanceCheck(key.id)
  return { status: row.status, moveOn: false }
}

/**
 * Whether a key in state `from` keeps it rather than going to `to`. `disabled` is the admin's
 * word and no upstream answer overrides it. `cooling` and `error` end by themselves after their
 * cooldown, so a late 429 or 5xx (from a parallel attempt) must not replace `invalid` or
 * `insufficient` with one of them: the key would become selectable again.
 */
function keepsState(from: KeyStatus, to: KeyStatus): boolean {
  if (from === 'disabled') return true
  const lasting = from === 'invalid' || from === 'insufficient'
  return lasting && (to === 'cooling' || to === 'error')
}

/** Take a key out of service, unless its present state outranks `to` (see `keepsState`). */
function outOfService(
  ctx: OutcomeContext,
  id: number,
  to: KeyStatus,
  reason: Explanation,
  patch: UpstreamKeyPatch,
): OutcomeVerdict {
  const key = ctx.store.require(id)
  const row = keepsState(key.status, to)
    ? ctx.store.patch(id, { ...patch, cooldownUntil: null })
    : ctx.store.transition(id, to, reason, patch)
  return { status: row.status, moveOn: true }
}

/** The key was deleted while upstream was being asked about it. */
const GONE: OutcomeVerdict = { status: 'disabled', moveOn: true }

/** A 401 makes a key `invalid` only once /v1/user/info (or /v1/models) confirms it. */
async function unauthorized(
  ctx: OutcomeContext,
  key: UpstreamKeyRow,
  counted: Counted,
  via: Dispatcher | undefined,
) {
  ctx.store.patch(key.id, { ...counted, errorCount: key.errorCount + 1 })
  const check = await ctx.confirm(key.id, via)
  if (!ctx.store.get(key.id)) return GONE
  const patch = balancePatch(check, ctx.now())
  if (check.kind === 'invalid') {
    const rejected: Explanation = { code: 'key_rejected', params: { check: check.summary } }
    return outOfService(ctx, key.id, 'invalid', rejected, { ...patch, ...errorFields(rejected) })
  }
  const passed: Explanation = {
    code: 'unauthorized_unconfirmed',
    params: { check: check.summary },
  }
  const row = ctx.store.patch(key.id, { ...patch, ...errorFields(passed) })
  return { status: row.status, moveOn: false }
}

/**
 * 402/403: only a balance below the threshold is the key's fault. Fine or unknown, a 403 for a
 * named model says this key may not use that model (real-name verification, `Pro/` models): it
 * is recorded in `blockedModels` and the key keeps serving every other model; without a model
 * the error is passed through.
 */
async function forbidden(
  ctx: OutcomeContext,
  key: UpstreamKeyRow,
  counted: Counted,
  outcome: Extract<AttemptOutcome, { kind: 'forbidden' }>,
  via: Dispatcher | undefined,
) {
  const { status } = outcome
  ctx.store.patch(key.id, { ...counted, errorCount: key.errorCount + 1 })
  const check = await ctx.confirm(key.id, via)
  if (!ctx.store.get(key.id)) return GONE
  const patch = {
    ...balancePatch(check, ctx.now()),
    ...errorFields({ code: 'http_status', params: { status } }),
  }
  const reason: Explanation = { code: 'forbidden', params: { status, check: check.summary } }
  const low = lowBalance(check, ctx.rules, key)
  if (low) return outOfService(ctx, key.id, 'insufficient', low === 'real' ? reason : low, patch)
  if (check.kind === 'invalid') return outOfService(ctx, key.id, 'invalid', reason, patch)
  const model = outcome.model ?? null
  if (status === 403 && model !== null && model !== '') {
    return blockModel(ctx, key.id, status, model, check, patch)
  }
  const passed: Explanation = {
    code: 'forbidden_passed',
    params: { status, check: check.summary },
  }
  const row = ctx.store.patch(key.id, { ...patch, ...errorFields(passed) })
  return { status: row.status, moveOn: false }
}

/** Longest model name kept: SiliconFlow's run to about 60 characters. */
const MODEL_NAME_MAX = 200
/**
 * Most models remembered per key, the oldest forgotten first: names come from clients' bodies,
 * and a key row must stay small whatever they send.
 */
export const BLOCKED_MODELS_MAX = 100

/**
 * The key may not use `model`: remembered on the key (once) with a key event; its state stays.
 * The verdict keeps the key (`moveOn` false: the upstream's 403 is passed through), and the
 * dispatch routes later requests for that model to keys that may use it.
 */
function blockModel(
  ctx: OutcomeContext,
  id: number,
  status: number,
  model: string,
  check: KeyCheck,
  patch: UpstreamKeyPatch,
): OutcomeVerdict {
  const name = model.slice(0, MODEL_NAME_MAX)
  const blocked = ctx.store.require(id).blockedModels ?? []
  const reason: Explanation = {
    code: 'model_blocked',
    params: { status, model: name, check: check.summary },
  }
  const known = blocked.includes(name)
  const row = ctx.store.patch(id, {
    ...patch,
    ...errorFields(reason),
    ...(known ? {} : { blockedModels: [...blocked, name].slice(-BLOCKED_MODELS_MAX) }),
  })
  if (!known) ctx.store.record({ keyId: id, type: 'check', explanation: reason })
  return { status: row.status, moveOn: false, blockedModel: name }
}

/**
 * @see docs/behaviour.md §4: 429 -> `cooling`. A per-hour or per-day limit named in the message
 * cools the key until that period ends (in China Standard Time), Retry-After if it says later;
 * otherwise until Retry-After, else 30 s doubling to 15 min.
 */
function rateLimited(
  ctx: OutcomeContext,
  key: UpstreamKeyRow,
  counted: Counted,
  retryAfterMs: number | null,
  message: string | null,
): OutcomeVerdict {
  const strikes = key.rateLimitStrikes + 1
  const limit = rateLimitClassOf(message)
  const periodMs =
    limit === 'hour' || limit === 'day'
      ? limitPeriodEnd(limit, counted.lastUsedAt) - counted.lastUsedAt
      : null
  const waitMs =
    periodMs !== null
      ? Math.max(periodMs, retryAfterMs ?? 0)
      : (retryAfterMs ?? rateLimitCooldownMs(strikes))
  const seconds = Math.ceil(waitMs / 1000)
  const escalated = periodMs === null && retryAfterMs === null
  const reason: Explanation = {
    code: 'rate_limited',
    params: { seconds, strike: escalated ? strikes : null, limit },
  }
  return outOfService(ctx, key.id, 'cooling', reason, {
    ...counted,
    errorCount: key.errorCount + 1,
    rateLimitStrikes: strikes,
    rateLimitClass: limit,
    cooldownUntil: counted.lastUsedAt + Math.max(0, waitMs),
    ...errorFields(reason),
  })
}

/**
 * 5xx and network errors: below KEY_ERROR_THRESHOLD in a row the proxy retries the same key;
 * at it the balance decides between `insufficient` and `error` (with its cooldown).
 */
async function failed(
  ctx: OutcomeContext,
  key: UpstreamKeyRow,
  counted: Counted,
  error: ExplanationOf<'upstream_error'> | ExplanationOf<'network_error'>,
  via: Dispatcher | undefined,
) {
  const consecutive = key.consecutiveErrors + 1
  ctx.store.patch(key.id, {
    ...counted,
    errorCount: key.errorCount + 1,
    consecutiveErrors: consecutive,
    ...errorFields(error),
  })
  if (consecutive < ctx.rules.keyErrorThreshold) return { status: key.status, moveOn: false }
  const check = await ctx.confirm(key.id, via)
  if (!ctx.store.get(key.id)) return GONE
  const time = ctx.now()
  const patch = balancePatch(check, time)
  const reason: Explanation = {
    code: 'key_failures',
    params: {
      count: consecutive,
      last: error.code,
      status: error.code === 'upstream_error' ? error.params.status : null,
      detail: error.params.detail,
      check: check.summary,
    },
  }
  const low = lowBalance(check, ctx.rules, key)
  if (low) return outOfService(ctx, key.id, 'insufficient', low === 'real' ? reason : low, patch)
  if (check.kind === 'invalid') return outOfService(ctx, key.id, 'invalid', reason, patch)
  const cooldownUntil = time + ctx.rules.keyErrorCooldownMs
  return outOfService(ctx, key.id, 'error', reason, { ...patch, cooldownUntil })
}
