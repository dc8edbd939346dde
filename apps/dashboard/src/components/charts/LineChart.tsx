import { type PointerEvent, useRef, useState } from 'react'
import { useElementWidth } from '../../hooks/useElementWidth.js'
import { ChartDataTable } from './ChartDataTable.js'
import { labelIndexes, linePath, niceCeiling } from './chart-scale.js'
import './chart.css'

export interface ChartSeries {
  name: string
  values: readonly (number | null)[]
  /** Colour from the theme (see components.css `.chart__line--*`). */
  tone: 'primary' | 'danger' | 'accent'
}

interface LineChartProps {
  title: string
  /** Read out instead of the drawing; the data table below has every value. */
  summary: string
  times: readonly number[]
  series: readonly ChartSeries[]
  formatValue(value: number): string
  formatTime(ms: number): string
}

const HEIGHT = 160
const PAD = { top: 10, right: 10, bottom: 22, left: 48 }

/** A hand-drawn SVG line chart sized to its container (no chart library: bundle budget). */
export function LineChart({
  title,
  summary,
  times,
  series,
  formatValue,
  formatTime,
}: LineChartProps) {
  const boxRef = useRef<HTMLDivElement>(null)
  const width = useElementWidth(boxRef, 600)
  const [hover, setHover] = useState<number | null>(null)
  const plotWidth = Math.max(10, width - PAD.left - PAD.right)
  const plotHeight = HEIGHT - PAD.top - PAD.bottom
  const max = niceCeiling(Math.max(0, ...series.flatMap((s) => s.values.map((v) => v ?? 0))))
  const last = Math.max(1, times.length - 1)
  const x = (index: number) => PAD.left + (index / last) * plotWidth
  const y = (value: number) => PAD.top + plotHeight - (value / max) * plotHeight

  function onPointerMove(event: PointerEvent<SVGSVGElement>) {
    const box = event.currentTarget.getBoundingClientRect()
    const ratio = (event.clientX - box.left - PAD.left) / plotWidth
    setHover(Math.min(times.length - 1, Math.max(0, Math.round(ratio * last))))
  }

  const hoverTime = hover === null ? undefined : times[hover]
  return (
    <figure className="chart">
      <figcaption className="chart__title">{title}</figcaption>
      <div className="chart__box" ref={boxRef}>
        <svg
          width={width}
          height={HEIGHT}
          role="img"
          aria-label={`${title}: ${summary}`}
          onPointerMove={onPointerMove}
          onPointerLeave={() => setHover(null)}
        >
          {[0, 0.5, 1].map((fraction) => (
            <g key={fraction} className="chart__grid">
              <line
                x1={PAD.left}
                x2={PAD.left + plotWidth}
                y1={y(max * fraction)}
                y2={y(max * fraction)}
              />
              <text
                x={PAD.left - 6}
                y={y(max * fraction)}
                textAnchor="end"
                dominantBaseline="middle"
              >
                {formatValue(max * fraction)}
              </text>
            </g>
          ))}
          {labelIndexes(times.length, width < 420 ? 3 : 5).map((index, position, all) => (
            <text
              key={index}
              className="chart__axis"
              x={x(index)}
              y={HEIGHT - 6}
              // The outer labels hug the edges instead of being cut off by them.
              textAnchor={position === 0 ? 'start' : position === all.length - 1 ? 'end' : 'middle'}
            >
              {formatTime(times[index] ?? 0)}
            </text>
          ))}
          {series.map((s) => (
            <path
              key={s.name}
              className={`chart__line chart__line--${s.tone}`}
              d={linePath(s.values, x, y)}
            />
          ))}
          {hover !== null && (
            <g className="chart__hover">
              <line x1={x(hover)} x2={x(hover)} y1={PAD.top} y2={PAD.top + plotHeight} />
              {series.map((s) => {
                const value = s.values[hover]
                return value === null || value === undefined ? null : (
                  <circle
                    key={s.name}
                    className={`chart__dot chart__dot--${s.tone}`}
                    cx={x(hover)}
                    cy={y(value)}
                    r={3}
                  />
                )
              })}
            </g>
          )}
        </svg>
        {hover !== null && hoverTime !== undefined && (
          <div className="chart__tooltip" style={{ left: Math.min(x(hover), width - 160) }}>
            <div>{formatTime(hoverTime)}</div>
            {series.map((s) => (
              <div key={s.name}>
                <span className={`chart__swatch chart__swatch--${s.tone}`} /> {s.name}:{' '}
                {formatValue(s.values[hover] ?? 0)}
              </div>
            ))}
          </div>
        )}
      </div>
      <ul className="chart__legend">
        {series.map((s) => (
          <li key={s.name}>
            <span className={`chart__swatch chart__swatch--${s.tone}`} /> {s.name}
          </li>
        ))}
      </ul>
      <ChartDataTable
        times={times}
        series={series}
        formatValue={formatValue}
        formatTime={formatTime}
      />
    </figure>
  )
}
