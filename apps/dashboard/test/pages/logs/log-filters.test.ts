import { describe, expect, it } from 'vitest'
import {
  buildLogsQuery,
  EMPTY_LOG_FILTERS,
  logFilterProblems,
  logFiltersFromSearch,
  logFiltersToSearch,
} from '../../../src/pages/logs/log-filters.js'

const NOW = Date.UTC(2025, 4, 14, 12, 0, 0)

describe('buildLogsQuery', () => {
  it('sends only the limit when nothing is filtered', () => {
    expect(buildLogsQuery(EMPTY_LOG_FILTERS, { now: NOW })).toEqual({
      limit: 50,
      cursor: undefined,
    })
  })

  it('maps key, status, model and a preset range measured back from now', () => {
    const query = buildLogsQuery(
      {
        ...EMPTY_LOG_FILTERS,
        keyId: ' 12 ',
        status: '5XX',
        model: ' deepseek-ai/DeepSeek-V3 ',
        range: '24h',
      },
      { now: NOW, cursor: '987', limit: 100 },
    )
    expect(query).toEqual({
      limit: 100,
      cursor: '987',
      keyId: 12,
      status: '5xx',
      model: 'deepseek-ai/DeepSeek-V3',
      from: NOW - 86_400_000,
    })
  })

  it('turns a custom range of local times into epoch milliseconds', () => {
    const query = buildLogsQuery(
      { ...EMPTY_LOG_FILTERS, range: 'custom', from: '2025-05-01T08:00', to: '2025-05-02T08:00' },
      { now: NOW },
    )
    expect(query).toMatchObject({
      from: new Date(2025, 4, 1, 8, 0).getTime(),
      to: new Date(2025, 4, 2, 8, 0).getTime(),
    })
  })

  it('accepts exact codes and classes, and leaves invalid input out', () => {
    for (const status of ['429', '2xx', '4xx', 'error']) {
      expect(logFilterProblems({ ...EMPTY_LOG_FILTERS, status })).toEqual([])
    }
    const bad = { ...EMPTY_LOG_FILTERS, keyId: 'abc', status: '6xx' }
    expect(logFilterProblems(bad)).toEqual(['keyId', 'status'])
    expect(buildLogsQuery(bad, { now: NOW })).toEqual({ limit: 50, cursor: undefined })
    const backwards = {
      ...EMPTY_LOG_FILTERS,
      range: 'custom' as const,
      from: '2025-05-02T00:00',
      to: '2025-05-01T00:00',
    }
    expect(logFilterProblems(backwards)).toEqual(['range'])
  })
})

describe('log filters in the URL', () => {
  it('round-trips and keeps the URL empty when nothing is set', () => {
    const filters = {
      ...EMPTY_LOG_FILTERS,
      keyId: '3',
      status: 'error',
      model: 'm',
      range: '7d' as const,
    }
    const search = logFiltersToSearch(filters)
    expect(search.toString()).toBe('keyId=3&status=error&model=m&range=7d')
    expect(logFiltersFromSearch(search)).toEqual(filters)
    expect(logFiltersToSearch(EMPTY_LOG_FILTERS).toString()).toBe('')
    expect(logFiltersFromSearch(new URLSearchParams('range=bogus')).range).toBe('all')
  })
})
