/**
 * A small reader of the Prometheus text exposition format (version 0.0.4), enough to assert
 * on values: samples with their labels, and each family's TYPE and HELP.
 * @see https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format
 */
export interface Sample {
  name: string
  labels: Record<string, string>
  value: number
}

export interface Exposition {
  samples: Sample[]
  types: Map<string, string>
  helps: Map<string, string>
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+-?\d+)?$/
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?\s*/y

function unescapeLabel(value: string): string {
  return value.replace(/\\(.)/g, (_, char: string) => (char === 'n' ? '\n' : char))
}

/** Case-insensitive, as Prometheus reads them (Go's ParseFloat): prom-client writes `Nan`. */
function parseValue(text: string): number {
  if (/^\+?inf$/i.test(text)) return Number.POSITIVE_INFINITY
  if (/^-inf$/i.test(text)) return Number.NEGATIVE_INFINITY
  if (/^nan$/i.test(text)) return Number.NaN
  const value = Number(text)
  if (Number.isNaN(value)) throw new Error(`not a sample value: ${text}`)
  return value
}

function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {}
  LABEL.lastIndex = 0
  while (LABEL.lastIndex < text.length) {
    const start = LABEL.lastIndex
    const match = LABEL.exec(text)
    if (!match || match[1] === undefined || match[2] === undefined) {
      throw new Error(`bad labels at ${start}: {${text}}`)
    }
    labels[match[1]] = unescapeLabel(match[2])
  }
  return labels
}

export function parseExposition(text: string): Exposition {
  const exposition: Exposition = { samples: [], types: new Map(), helps: new Map() }
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue
    const meta = /^# (TYPE|HELP) (\S+) (.*)$/.exec(line)
    if (meta?.[2] !== undefined && meta[3] !== undefined) {
      ;(meta[1] === 'TYPE' ? exposition.types : exposition.helps).set(meta[2], meta[3])
      continue
    }
    if (line.startsWith('#')) continue
    const match = SAMPLE.exec(line)
    if (!match || match[1] === undefined || match[4] === undefined) {
      throw new Error(`not a sample line: ${line}`)
    }
    exposition.samples.push({
      name: match[1],
      labels: parseLabels(match[3] ?? ''),
      value: parseValue(match[4]),
    })
  }
  return exposition
}

/** Samples named `name` whose labels include all of `labels`. */
export function samplesOf(
  exposition: Exposition,
  name: string,
  labels: Record<string, string> = {},
): Sample[] {
  return exposition.samples.filter(
    (sample) =>
      sample.name === name &&
      Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
  )
}

/** The one sample value named `name` with exactly these labels; undefined when absent. */
export function sampleValue(
  exposition: Exposition,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const wanted = Object.keys(labels).length
  const found = samplesOf(exposition, name, labels).filter(
    (sample) => Object.keys(sample.labels).length === wanted,
  )
  if (found.length > 1) throw new Error(`${found.length} samples match ${name}`)
  return found[0]?.value
}
