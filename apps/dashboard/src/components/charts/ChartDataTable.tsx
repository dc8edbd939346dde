import { useState } from 'react'
import { useI18n } from '../../i18n/I18nProvider.js'
import type { ChartSeries } from './LineChart.js'

interface ChartDataTableProps {
  times: readonly number[]
  series: readonly ChartSeries[]
  formatValue(value: number): string
  formatTime(ms: number): string
}

/** The chart's numbers for keyboard and screen-reader users, folded away by default. */
export function ChartDataTable({ times, series, formatValue, formatTime }: ChartDataTableProps) {
  const { t } = useI18n()
  // Hundreds of rows per chart: built only once the user opens it.
  const [open, setOpen] = useState(false)
  return (
    <details className="chart__data" onToggle={(event) => setOpen(event.currentTarget.open)}>
      <summary>{t('chart.table')}</summary>
      {open && (
        <div className="table-scroll">
          <table className="table table--compact">
            <thead>
              <tr>
                <th scope="col">{t('chart.time')}</th>
                {series.map((s) => (
                  <th key={s.name} scope="col">
                    {s.name}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {times.map((time, index) => (
                <tr key={time}>
                  <th scope="row">{formatTime(time)}</th>
                  {series.map((s) => {
                    const value = s.values[index]
                    return (
                      <td key={s.name}>
                        {value === null || value === undefined ? '—' : formatValue(value)}
                      </td>
                    )
                  })}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </details>
  )
}
