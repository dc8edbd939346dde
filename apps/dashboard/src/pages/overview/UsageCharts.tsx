import type { StatsBucket } from '@sfp/schemas'
import { useMemo, useState } from 'react'
import { useAdminApi } from '../../auth/SessionProvider.js'
import { LineChart } from '../../components/charts/LineChart.js'
import { ErrorNotice } from '../../components/ErrorNotice.js'
import { useApiResource } from '../../hooks/useApiResource.js'
import { useRefreshOnActivity } from '../../hooks/useRefreshOnActivity.js'
import { useTick } from '../../hooks/useTick.js'
import { useI18n } from '../../i18n/I18nProvider.js'
import { toUsageSeries } from './usage-series.js'

const RANGES = {
  '24h': { ms: 24 * 3_600_000, bucket: '5m' },
  '7d': { ms: 7 * 24 * 3_600_000, bucket: 'hour' },
} as const satisfies Record<string, { ms: number; bucket: StatsBucket }>
type Range = keyof typeof RANGES

/** Charts are refreshed this often while the overview is open, with or without traffic. */
const REFRESH_MS = 60_000
/**
 * With traffic, sooner: at most every 5 s, and 1.5 s after the activity at the earliest, since
 * the request log (which the stats read) is written in batches every second.
 */
const ACTIVITY_REFRESH = { minIntervalMs: 5000, settleMs: 1500 }

interface UsageChartsProps {
  /**
   * Changes whenever the live status shows requests going upstream (in flight, last use of a
   * key); null before the first status.
   */
  activity: string | null
}

export function UsageCharts({ activity }: UsageChartsProps) {
  const { t, format, language } = useI18n()
  const api = useAdminApi()
  const [range, setRange] = useState<Range>('24h')
  const tick = useTick(REFRESH_MS)
  const stats = useApiResource(
    (signal) => {
      const to = Date.now()
      return api.stats({ from: to - RANGES[range].ms, to, bucket: RANGES[range].bucket }, signal)
    },
    [api, range, tick],
  )
  useRefreshOnActivity(activity, stats.reload, ACTIVITY_REFRESH)
  const series = useMemo(() => (stats.data ? toUsageSeries(stats.data) : null), [stats.data])
  const timeFormat = useMemo(
    () =>
      new Intl.DateTimeFormat(language === 'zh' ? 'zh-CN' : 'en', {
        ...(range === '7d' ? { month: 'numeric', day: 'numeric' } : {}),
        hour: '2-digit',
        minute: '2-digit',
        hour12: false,
      }),
    [language, range],
  )
  const formatTime = (ms: number) => timeFormat.format(ms)
  // Not rounded: the axis' middle line of a 0–1 or 0–5 scale is 0.5 or 2.5, not 1 or 3.
  const count = (value: number) => format.number(value)

  return (
    <section className="card card--wide" aria-labelledby="usage-title">
      <div className="card__heading">
        <h2 id="usage-title" className="card__title">
          {t('usage.title')}
        </h2>
        <fieldset className="segmented">
          <legend className="sr-only">{t('usage.range')}</legend>
          {(Object.keys(RANGES) as Range[]).map((option) => (
            <button
              key={option}
              type="button"
              className="segmented__option"
              aria-pressed={range === option}
              onClick={() => setRange(option)}
            >
              {t(`usage.${option}`)}
            </button>
          ))}
        </fieldset>
      </div>
      <ErrorNotice error={stats.error} />
      {series === null && !stats.error && <p className="muted">{t('common.loading')}</p>}
      {series && (
        <div className="chart-grid">
          <LineChart
            title={t('usage.requests')}
            summary={t('usage.requestsSummary', {
              requests: format.number(series.totals.requests),
              errors: format.number(series.totals.errors),
              rate: `${series.totals.requests ? ((series.totals.errors / series.totals.requests) * 100).toFixed(1) : '0'}%`,
            })}
            times={series.times}
            series={[
              { name: t('usage.requests'), values: series.requests, tone: 'primary' },
              { name: t('usage.errors'), values: series.errors, tone: 'danger' },
            ]}
            formatValue={count}
            formatTime={formatTime}
          />
          <LineChart
            title={t('usage.tokens')}
            summary={t('usage.tokensSummary', { tokens: format.number(series.totals.tokens) })}
            times={series.times}
            series={[
              { name: t('usage.promptTokens'), values: series.promptTokens, tone: 'primary' },
              {
                name: t('usage.completionTokens'),
                values: series.completionTokens,
                tone: 'accent',
              },
            ]}
            formatValue={count}
            formatTime={formatTime}
          />
          <LineChart
            title={t('usage.latency')}
            summary={
              series.totals.avgLatencyMs === null
                ? t('usage.noData')
                : t('usage.latencySummary', {
                    latency: format.duration(series.totals.avgLatencyMs),
                  })
            }
            times={series.times}
            series={[
              { name: t('usage.avgLatency'), values: series.avgLatencyMs, tone: 'primary' },
              { name: t('usage.avgTtfb'), values: series.avgTtfbMs, tone: 'accent' },
            ]}
            formatValue={format.duration}
            formatTime={formatTime}
          />
        </div>
      )}
    </section>
  )
}
