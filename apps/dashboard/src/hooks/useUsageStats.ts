import type { StatsBucket, StatsResponse } from '@sfp/schemas'
import { useCallback, useMemo } from 'react'
import { useAdminApi } from '../auth/SessionProvider.js'
import { useI18n } from '../i18n/I18nProvider.js'
import { type ApiResource, useApiResource } from './useApiResource.js'
import { useTick } from './useTick.js'

export const USAGE_RANGES = ['24h', '7d'] as const
export type UsageRange = (typeof USAGE_RANGES)[number]
/** `total`: one series for all traffic; `client`: one per client key (`groupBy=client`). */
export type UsageGrouping = 'total' | 'client'

const RANGE_MS: Record<UsageRange, number> = { '24h': 24 * 3_600_000, '7d': 7 * 24 * 3_600_000 }
/**
 * Buckets per range. Per client key every key gets a chart of its own, so coarser buckets keep
 * each one readable (and the answer small); the totals get the finer ones.
 */
const BUCKETS: Record<UsageGrouping, Record<UsageRange, StatsBucket>> = {
  total: { '24h': '5m', '7d': 'hour' },
  client: { '24h': 'hour', '7d': 'day' },
}

/** Read again this often while a page shows usage: the request log keeps growing. */
const REFRESH_MS = 60_000

export interface UsageStats {
  /** `GET /stats` over the range up to now; `reload` reads it again (on live activity). */
  stats: ApiResource<StatsResponse>
  /** A bucket's start time as its axis label: the date too over 7 days, the date only for days. */
  formatTime(ms: number): string
}

/**
 * The usage over the last 24 hours or 7 days, refreshed every minute: the overview's charts and
 * the client keys' (`groupBy=client`).
 */
export function useUsageStats(range: UsageRange, groupBy: UsageGrouping): UsageStats {
  const { language } = useI18n()
  const api = useAdminApi()
  const tick = useTick(REFRESH_MS)
  const bucket = BUCKETS[groupBy][range]
  const stats = useApiResource(
    (signal) => {
      const to = Date.now()
      const query = { from: to - RANGE_MS[range], to, bucket }
      return api.stats(groupBy === 'client' ? { ...query, groupBy } : query, signal)
    },
    [api, range, bucket, groupBy, tick],
  )
  const timeFormat = useMemo(() => {
    const date = { month: 'numeric', day: 'numeric' } as const
    const time = { hour: '2-digit', minute: '2-digit', hour12: false } as const
    return new Intl.DateTimeFormat(
      language === 'zh' ? 'zh-CN' : 'en',
      bucket === 'day' ? date : range === '7d' ? { ...date, ...time } : time,
    )
  }, [language, range, bucket])
  const formatTime = useCallback((ms: number) => timeFormat.format(ms), [timeFormat])
  return { stats, formatTime }
}
