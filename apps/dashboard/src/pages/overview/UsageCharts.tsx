import { useMemo, useState } from 'react'
import { LineChart } from '../../components/charts/LineChart.js'
import { ErrorNotice } from '../../components/ErrorNotice.js'
import { UsageRangeSwitch } from '../../components/UsageRangeSwitch.js'
import { useRefreshOnActivity } from '../../hooks/useRefreshOnActivity.js'
import { type UsageRange, useUsageStats } from '../../hooks/useUsageStats.js'
import { useI18n } from '../../i18n/I18nProvider.js'
import { toUsageSeries } from './usage-series.js'

/**
 * With traffic, sooner than the minute's refresh: at most every 5 s, and 1.5 s after the activity
 * at the earliest, since the request log (which the stats read) is written in batches every second.
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
  const { t, format } = useI18n()
  const [range, setRange] = useState<UsageRange>('24h')
  const { stats, formatTime } = useUsageStats(range, 'total')
  useRefreshOnActivity(activity, stats.reload, ACTIVITY_REFRESH)
  const series = useMemo(() => (stats.data ? toUsageSeries(stats.data) : null), [stats.data])
  // Not rounded: the axis' middle line of a 0–1 or 0–5 scale is 0.5 or 2.5, not 1 or 3.
  const count = (value: number) => format.number(value)

  return (
    <section className="card card--wide" aria-labelledby="usage-title">
      <div className="card__heading">
        <h2 id="usage-title" className="card__title">
          {t('usage.title')}
        </h2>
        <UsageRangeSwitch range={range} onChange={setRange} />
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
