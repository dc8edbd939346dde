import type { ClientKeyView, StatsBucket } from '@sfp/schemas'
import { useMemo, useState } from 'react'
import { useAdminApi } from '../../auth/SessionProvider.js'
import { LineChart } from '../../components/charts/LineChart.js'
import { ErrorNotice } from '../../components/ErrorNotice.js'
import { useApiResource } from '../../hooks/useApiResource.js'
import { useTick } from '../../hooks/useTick.js'
import { useI18n } from '../../i18n/I18nProvider.js'
import { type ClientUsageRow, toClientUsageRows } from './client-usage.js'

const RANGES = {
  '24h': { ms: 24 * 3_600_000, bucket: 'hour' },
  '7d': { ms: 7 * 24 * 3_600_000, bucket: 'day' },
} as const satisfies Record<string, { ms: number; bucket: StatsBucket }>
type Range = keyof typeof RANGES

/** Read again this often while the page is open: the request log keeps growing. */
const REFRESH_MS = 60_000

interface ClientUsageProps {
  /** The page's list, for names; a key no longer in it is shown by its id. */
  keys: readonly ClientKeyView[]
}

/** Each client key's requests, errors, tokens and cost over a range, with a chart per key. */
export function ClientUsage({ keys }: ClientUsageProps) {
  const { t, format, language } = useI18n()
  const api = useAdminApi()
  const [range, setRange] = useState<Range>('24h')
  const tick = useTick(REFRESH_MS)
  const stats = useApiResource(
    (signal) => {
      const to = Date.now()
      const { ms, bucket } = RANGES[range]
      return api.stats({ from: to - ms, to, bucket, groupBy: 'client' }, signal)
    },
    [api, range, tick],
  )
  const rows = useMemo(() => (stats.data ? toClientUsageRows(stats.data) : null), [stats.data])
  const timeFormat = useMemo(
    () =>
      new Intl.DateTimeFormat(
        language === 'zh' ? 'zh-CN' : 'en',
        range === '7d'
          ? { month: 'numeric', day: 'numeric' }
          : { hour: '2-digit', minute: '2-digit', hour12: false },
      ),
    [language, range],
  )
  const formatTime = (ms: number) => timeFormat.format(ms)
  const nameOf = (row: ClientUsageRow) => {
    if (row.clientKeyId === null) return t('clientKeys.usageRange.envKeys')
    const key = keys.find((candidate) => candidate.id === row.clientKeyId)
    return key?.name ?? t('clientKeys.usageRange.unknownKey', { id: row.clientKeyId })
  }

  return (
    <section className="card card--wide" aria-labelledby="client-usage-title">
      <div className="card__heading">
        <h2 id="client-usage-title" className="card__title">
          {t('clientKeys.usageRange.title')}
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
      {rows === null && !stats.error && <p className="muted">{t('common.loading')}</p>}
      {rows !== null && rows.length === 0 && <p className="muted">{t('usage.noData')}</p>}
      {rows !== null && rows.length > 0 && (
        <>
          <div className="table-scroll">
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">{t('clientKeys.col.name')}</th>
                  <th scope="col" className="num">
                    {t('usage.requests')}
                  </th>
                  <th scope="col" className="num">
                    {t('usage.errors')}
                  </th>
                  <th scope="col" className="num">
                    {t('usage.tokens')}
                  </th>
                  <th scope="col" className="num">
                    {t('clientKeys.usageRange.cost')}
                  </th>
                </tr>
              </thead>
              <tbody>
                {rows.map((row) => (
                  <tr key={row.clientKeyId ?? 'env'}>
                    <th scope="row">{nameOf(row)}</th>
                    <td className="num">{format.number(row.requests)}</td>
                    <td className="num">{format.number(row.errors)}</td>
                    <td className="num">{format.number(row.tokens)}</td>
                    <td className="num">{row.cost === null ? '—' : format.money(row.cost)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <div>
            {rows.map((row) => (
              <LineChart
                key={row.clientKeyId ?? 'env'}
                title={t('clientKeys.usageRange.chartTitle', { name: nameOf(row) })}
                summary={t('usage.requestsSummary', {
                  requests: format.number(row.requests),
                  errors: format.number(row.errors),
                  rate: `${row.requests ? ((row.errors / row.requests) * 100).toFixed(1) : '0'}%`,
                })}
                times={row.times}
                series={[
                  { name: t('usage.requests'), values: row.requestsOverTime, tone: 'primary' },
                  { name: t('usage.errors'), values: row.errorsOverTime, tone: 'danger' },
                ]}
                formatValue={format.number}
                formatTime={formatTime}
              />
            ))}
          </div>
        </>
      )}
    </section>
  )
}
