import {
  isEgressUrlProblem,
  type LegacyImportNote,
  maskSecret,
  type ParsedProxyUrl,
  parseEgressUrl,
} from '@sfp/schemas'
import type { LegacyBlockRow, LegacyKeyRow, LegacyProxyRow } from './legacy-reader.js'

/**
 * From old rows to ours, without touching any database: pure functions, each odd value made
 * into a sensible one or a note (masked), never an exception.
 */

export type ImportedStatus = 'active' | 'insufficient' | 'error' | 'disabled'

export interface MappedKey {
  rowId: number | null
  /** The key itself: sealed by the caller's cipher before it is stored. */
  key: string
  status: ImportedStatus
  callCount: number
  errorCount: number
  lastError: string | null
  lastUsedAt: number | null
  createdAt: number | null
  /** `error` keys only. */
  cooldownUntil: number | null
}

export interface MappedProxy {
  rowId: number | null
  proxy: ParsedProxyUrl
  enabled: boolean
  label: string
}

export interface ActiveBlock {
  rowId: number | null
  until: number
  reason: string
}

/** Times the old program wrote: `YYYY-MM-DD HH:MM:SS` in UTC (SQLite's CURRENT_TIMESTAMP). */
const SQLITE_TIME = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?$/
const ZONED_TIME = /^\d{4}-\d{2}-\d{2}T.*(?:Z|[+-]\d{2}:?\d{2})$/i

/** Milliseconds since the epoch, or null for anything that is not a time. */
export function parseLegacyTime(value: unknown): number | null {
  if (typeof value === 'number' || typeof value === 'bigint') {
    const n = Number(value)
    if (!Number.isFinite(n) || n <= 0) return null
    // Seconds (Unix time) or milliseconds: 1e11 seconds is the year 5138.
    return Math.round(n < 1e11 ? n * 1000 : n)
  }
  if (typeof value !== 'string') return null
  const text = value.trim()
  let ms = Number.NaN
  if (SQLITE_TIME.test(text)) ms = Date.parse(`${text.replace(' ', 'T')}Z`)
  else if (ZONED_TIME.test(text)) ms = Date.parse(text)
  else if (/^\d+(?:\.\d+)?$/.test(text)) return parseLegacyTime(Number(text))
  return Number.isFinite(ms) ? ms : null
}

/** A count: a non-negative integer, else 0. */
function toCount(value: unknown): number {
  const n = typeof value === 'string' ? Number(value.trim()) : Number(value)
  return Number.isFinite(n) && n >= 0 ? Math.min(Math.trunc(n), Number.MAX_SAFE_INTEGER) : 0
}

function toRowId(value: unknown): number | null {
  const n = Number(value)
  return Number.isSafeInteger(n) ? n : null
}

/** SQLite booleans as the old program stored them (0/1), tolerating text and null. */
function toFlag(value: unknown, fallback: boolean): boolean {
  if (value === null || value === undefined || value === '') return fallback
  if (typeof value === 'string') {
    const text = value.trim().toLowerCase()
    if (['0', 'false', 'no', 'off'].includes(text)) return false
    if (['1', 'true', 'yes', 'on'].includes(text)) return true
    return fallback
  }
  return Number(value) !== 0
}

function toText(value: unknown): string | null {
  if (value === null || value === undefined) return null
  if (typeof value === 'string') return value
  if (typeof value === 'number' || typeof value === 'bigint') return String(value)
  if (Buffer.isBuffer(value)) return value.toString('utf8')
  return null
}

const LAST_ERROR_MAX = 500

/** `last_error` as our `lastError`: one line, bounded (the old one could be a whole JSON body). */
function errorText(value: unknown): string | null {
  const text = toText(value)?.replace(/\s+/g, ' ').trim()
  if (!text) return null
  return text.length > LAST_ERROR_MAX ? `${text.slice(0, LAST_ERROR_MAX - 1)}…` : text
}

/** How a key is named in a note: masked, and never more of it than a key view shows. */
export function maskLegacyKey(key: string): string {
  return key === '' ? '(empty)' : maskSecret(key.replace(/[^\x21-\x7e]/gu, '?'))
}

const OLD_STATUSES = new Set(['active', 'insufficient', 'error'])

export interface KeyMappingRules {
  /** Why our key rules refuse this key, or undefined when they accept it (the key pool's rules). */
  refuseKey(key: string): string | undefined
  /** When the import runs; an `error` key's cooldown starts here. */
  now: number
  /** KEY_ERROR_COOLDOWN_MINUTES in milliseconds. */
  errorCooldownMs: number
}

/**
 * The old keys in their creation order (created_at, then id), with their states: `is_available
 * = 0` is `disabled` whatever the status; `error` rests one KEY_ERROR_COOLDOWN_MINUTES counted
 * from the import (its old error time is not kept, and an hour-old error is as unknown as a new
 * one); balances are not taken (the old `balance` counted gift credit only).
 */
export function mapLegacyKeys(
  rows: readonly LegacyKeyRow[],
  rules: KeyMappingRules,
): { keys: MappedKey[]; notes: LegacyImportNote[] } {
  const notes: LegacyImportNote[] = []
  const keys: MappedKey[] = []
  const seen = new Set<string>()
  const ordered = rows
    .map((row) => ({ row, createdAt: parseLegacyTime(row.created_at), id: toRowId(row.id) }))
    .sort(
      (a, b) =>
        (a.createdAt ?? Number.MAX_SAFE_INTEGER) - (b.createdAt ?? Number.MAX_SAFE_INTEGER) ||
        (a.id ?? 0) - (b.id ?? 0),
    )
  for (const { row, createdAt, id } of ordered) {
    const key = (toText(row.api_key) ?? '').trim()
    const note = (code: LegacyImportNote['code'], reason: string, imported = false) =>
      notes.push({ table: 'api_keys', rowId: id, item: maskLegacyKey(key), code, reason, imported })
    if (key === '') {
      note('empty_key', 'no key in this row')
      continue
    }
    const refused = rules.refuseKey(key)
    if (refused !== undefined) {
      note('invalid_key', refused)
      continue
    }
    if (seen.has(key)) {
      note('duplicate_key', 'the same key as an earlier row')
      continue
    }
    seen.add(key)
    const oldStatus = (toText(row.status) ?? '').trim().toLowerCase()
    const available = toFlag(row.is_available, true)
    let status: ImportedStatus = 'active'
    if (!available) status = 'disabled'
    else if (OLD_STATUSES.has(oldStatus)) status = oldStatus as ImportedStatus
    else if (oldStatus !== '') {
      note('unknown_status', `unknown status "${oldStatus.slice(0, 20)}": imported as active`, true)
    }
    keys.push({
      rowId: id,
      key,
      status,
      callCount: toCount(row.call_count),
      errorCount: toCount(row.error_count),
      lastError: errorText(row.last_error),
      lastUsedAt: parseLegacyTime(row.last_used_at),
      createdAt,
      cooldownUntil: status === 'error' ? rules.now + rules.errorCooldownMs : null,
    })
  }
  return { keys, notes }
}

const OLD_PROXY_TYPES = new Set(['socks5', 'http', 'https'])

/** How the import names an egress it made, so the admin recognises the old proxy. */
export const legacyProxyLabel = (rowId: number | null) =>
  rowId === null ? 'siliconflowProxy' : `siliconflowProxy #${rowId}`

/**
 * The old proxies in `order_index` order (then id), enabled as they were. One without type,
 * host or port, or whose parts make no valid proxy URL (the rules of a proxy added in the
 * dashboard), is a note.
 */
export function mapLegacyProxies(rows: readonly LegacyProxyRow[]): {
  proxies: MappedProxy[]
  notes: LegacyImportNote[]
} {
  const notes: LegacyImportNote[] = []
  const proxies: MappedProxy[] = []
  const ordered = rows
    .map((row) => ({ row, order: toCount(row.order_index), id: toRowId(row.id) }))
    .sort((a, b) => a.order - b.order || (a.id ?? 0) - (b.id ?? 0))
  for (const { row, id } of ordered) {
    const type = (toText(row.type) ?? '').trim().toLowerCase()
    const host = (toText(row.host) ?? '').trim()
    const portText = (toText(row.port) ?? '').trim()
    const item = `${type || '?'}://${host || '?'}:${portText || '?'}`
    const note = (code: LegacyImportNote['code'], reason: string) =>
      notes.push({ table: 'proxy_config', rowId: id, item, code, reason, imported: false })
    if (type === '' || host === '' || portText === '') {
      note('proxy_incomplete', 'type, host or port missing')
      continue
    }
    if (!OLD_PROXY_TYPES.has(type)) {
      note('proxy_invalid', `unknown proxy type "${type.slice(0, 20)}"`)
      continue
    }
    const username = toText(row.username) ?? ''
    const password = toText(row.password) ?? ''
    // The old program sent credentials only with a user name; a lone password meant nothing.
    const userinfo =
      username === ''
        ? ''
        : `${encodeURIComponent(username)}${password === '' ? '' : `:${encodeURIComponent(password)}`}@`
    const hostPart = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host
    const parsed = parseEgressUrl(`${type}://${userinfo}${hostPart}:${portText}`)
    if (isEgressUrlProblem(parsed)) {
      note('proxy_invalid', parsed.reason)
      continue
    }
    if (parsed.kind === 'direct') {
      note('proxy_invalid', 'not a proxy')
      continue
    }
    proxies.push({
      rowId: id,
      proxy: parsed,
      enabled: toFlag(row.enabled, false),
      label: legacyProxyLabel(id),
    })
  }
  return { proxies, notes }
}

/**
 * The old program's IP block still running at `now` (the latest one when several are), and how
 * many were over already. A block without a readable end is counted as over.
 */
export function activeLegacyBlock(
  rows: readonly LegacyBlockRow[],
  now: number,
): { block: ActiveBlock | null; expired: number } {
  let block: ActiveBlock | null = null
  let expired = 0
  for (const row of rows) {
    const until = parseLegacyTime(row.unblock_at)
    if (until === null || until <= now) {
      expired += 1
      continue
    }
    if (block === null || until > block.until) {
      const reason = errorText(row.reason)
      block = {
        rowId: toRowId(row.id),
        until,
        reason: `siliconflowProxy IP block${reason ? `: ${reason.slice(0, 200)}` : ''}`,
      }
    }
  }
  return { block, expired }
}
