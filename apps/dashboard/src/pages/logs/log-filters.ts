import type { Query } from '../../api/http-client.js'

export const LOG_RANGES = ['all', '1h', '24h', '7d', '30d', 'custom'] as const
export type LogRange = (typeof LOG_RANGES)[number]

const RANGE_MS: Record<Exclude<LogRange, 'all' | 'custom'>, number> = {
  '1h': 3_600_000,
  '24h': 86_400_000,
  '7d': 7 * 86_400_000,
  '30d': 30 * 86_400_000,
}

/** The filter form as typed: strings, so half-typed input round-trips through the URL. */
export interface LogFilters {
  keyId: string
  status: string
  model: string
  range: LogRange
  /** `datetime-local` values (local time), used when range is `custom`. */
  from: string
  to: string
}

export const EMPTY_LOG_FILTERS: LogFilters = {
  keyId: '',
  status: '',
  model: '',
  range: 'all',
  from: '',
  to: '',
}

export type LogFilterProblem = 'keyId' | 'status' | 'range'

const STATUS_FILTER = /^([2-5]xx|error|[1-5]\d\d)$/

export function logFiltersFromSearch(search: URLSearchParams): LogFilters {
  const range = LOG_RANGES.find((value) => value === search.get('range')) ?? 'all'
  return {
    keyId: search.get('keyId') ?? '',
    status: search.get('status') ?? '',
    model: search.get('model') ?? '',
    range,
    from: search.get('from') ?? '',
    to: search.get('to') ?? '',
  }
}

/** For the page URL: only what is set, so `/logs` stays `/logs`. */
export function logFiltersToSearch(filters: LogFilters): URLSearchParams {
  const search = new URLSearchParams()
  if (filters.keyId.trim()) search.set('keyId', filters.keyId.trim())
  if (filters.status.trim()) search.set('status', filters.status.trim().toLowerCase())
  if (filters.model.trim()) search.set('model', filters.model.trim())
  if (filters.range !== 'all') search.set('range', filters.range)
  if (filters.range === 'custom') {
    if (filters.from) search.set('from', filters.from)
    if (filters.to) search.set('to', filters.to)
  }
  return search
}

function localTimeMs(value: string): number | undefined {
  if (value === '') return undefined
  const ms = new Date(value).getTime() // no offset in a datetime-local value: local time
  return Number.isNaN(ms) ? undefined : ms
}

export function logFilterProblems(filters: LogFilters): LogFilterProblem[] {
  const problems: LogFilterProblem[] = []
  const keyId = filters.keyId.trim()
  if (keyId !== '' && !/^[1-9]\d*$/.test(keyId)) problems.push('keyId')
  const status = filters.status.trim().toLowerCase()
  if (status !== '' && !STATUS_FILTER.test(status)) problems.push('status')
  if (filters.range === 'custom') {
    const from = localTimeMs(filters.from)
    const to = localTimeMs(filters.to)
    if (from !== undefined && to !== undefined && from >= to) problems.push('range')
  }
  return problems
}

/**
 * The `GET /api/manage/logs` query for the filters (docs/behaviour.md §6): times as epoch ms,
 * preset ranges measured back from `now`. Invalid fields are left out rather than sent.
 */
export function buildLogsQuery(
  filters: LogFilters,
  { now = Date.now(), limit = 50, cursor }: { now?: number; limit?: number; cursor?: string } = {},
): Query {
  const problems = logFilterProblems(filters)
  const query: Record<string, string | number | undefined> = { limit, cursor }
  if (!problems.includes('keyId') && filters.keyId.trim()) query.keyId = Number(filters.keyId)
  if (!problems.includes('status') && filters.status.trim()) {
    query.status = filters.status.trim().toLowerCase()
  }
  if (filters.model.trim()) query.model = filters.model.trim()
  if (filters.range === 'custom') {
    if (!problems.includes('range')) {
      query.from = localTimeMs(filters.from)
      query.to = localTimeMs(filters.to)
    }
  } else if (filters.range !== 'all') {
    query.from = now - RANGE_MS[filters.range]
  }
  return query
}
