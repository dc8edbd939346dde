import type { ClientKeyView } from '@sfp/schemas'
import { useMemo, useState } from 'react'
import { LineChart } from '../../components/charts/LineChart.js'
import { ErrorNotice } from '../../components/ErrorNotice.js'
import { UsageRangeSwitch } from '../../components/UsageRangeSwitch.js'
import { type UsageRange, useUsageStats } from '../../hooks/useUsageStats.js'
import { useI18n } from '../../i18n/I18nProvider.js'
import { type ClientUsageRow, toClientUsageRows } from './client-usage.js'

interface ClientUsageProps {
  /** The page's list, for names; a key no longer in it is shown by its id. */
  keys: readonly ClientKeyView[]
}

/** Each client key's requests, errors, tokens and cost over a range, with a chart per key. */
export function ClientUsage({ keys }: ClientUsageProps) {
  const { t, format } = useI18n()
  const [range, setRange] = useState<UsageRange>('24h')
  const { stats, formatTime } = useUsageStats(range, 'client')
  const rows = useMemo(() => (stats.data ? toClientUsageRows(stats.data) : null), [stats.data])
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
        <UsageRangeSwitch range={range} onChange={setRange} />
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
