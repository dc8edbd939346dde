import {
  Counter,
  type CounterConfiguration,
  Histogram,
  type HistogramConfiguration,
} from 'prom-client'

/**
 * prom-client (15) validates the label object and builds its hash string on every `inc` and
 * `observe`, its `labels(...)` children included, then looks the hash up in its series table:
 * most of the metrics' cost per proxied request. The metrics below hand out one child per label
 * values instead, kept in nested Maps (one level per label, so no two value lists can share a
 * key), which updates the series prom-client holds in place. prom-client stays the owner: a
 * child writes only while its series is the one in prom-client's table (one lookup by a string
 * already hashed), and otherwise goes through prom-client's own `inc` / `observe`, which validate,
 * throw and (re)create the series exactly as they do without the cache. So a `reset()` or
 * `remove(...)`, through these helpers or on the metric itself, never leaves a child writing to a
 * series that is gone, and a value prom-client would refuse (negative, not finite) still reaches
 * it. Should prom-client's internals change shape, the children find no series to adopt and
 * every update takes prom-client's own path (slower, same output); the tests notice.
 */

/** One label value per label name, in `labelNames` order; undefined leaves the label out. */
export type LabelValuesOf<Names extends readonly string[]> = {
  [Index in keyof Names]: string | undefined
}

export interface CounterChild {
  inc(value?: number): void
}

export interface HistogramChild {
  observe(value: number): void
}

export interface LabelledMetric<Names extends readonly string[], Metric, Child> {
  metric: Metric
  /**
   * The child of these label values: the same object each time, until `remove` or `reset` here
   * drops it (after a removal or reset on the metric itself it stays, and recreates its series).
   */
  labels(...values: LabelValuesOf<Names>): Child
  /** Drops the series of these label values from the metric and its child from the cache. */
  remove(...values: LabelValuesOf<Names>): void
  /** Drops every series of the metric and every cached child. */
  reset(): void
}

/** What prom-client 15 keeps on a Counter or Histogram, read to find a series in its table. */
interface SeriesTable<Entry> {
  sortedLabelNames?: unknown
  hashMap?: Record<string, Entry | undefined>
}
interface CounterEntry {
  value: number
}
interface HistogramEntry {
  sum: number
  count: number
  bucketValues: Record<string, number>
}
interface HistogramInternals extends SeriesTable<HistogramEntry> {
  upperBounds?: unknown
}

type LabelObject = Record<string, string>

/**
 * The key prom-client files a series under (its `hashObject` with the metric's sorted label
 * names): `name:value,` per label set. Only used to find a new child's series once.
 */
function seriesHash(table: SeriesTable<unknown>, labels: LabelObject): string | undefined {
  const { sortedLabelNames } = table
  if (!Array.isArray(sortedLabelNames)) return undefined
  let hash = ''
  for (const name of sortedLabelNames) {
    const value = labels[name]
    if (value !== undefined) hash += `${name}:${value},`
  }
  return hash
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null
}

function counterEntry(entry: unknown): CounterEntry | undefined {
  return isObject(entry) && typeof entry.value === 'number'
    ? (entry as unknown as CounterEntry)
    : undefined
}

function histogramEntry(entry: unknown): HistogramEntry | undefined {
  return isObject(entry) &&
    typeof entry.sum === 'number' &&
    typeof entry.count === 'number' &&
    isObject(entry.bucketValues)
    ? (entry as unknown as HistogramEntry)
    : undefined
}

/**
 * A series as prom-client holds it: the entry its table had under `hash` when last seen, usable
 * only while the table still has that very entry there.
 */
class AdoptedSeries<Entry> {
  #entry: Entry | undefined
  readonly #table: SeriesTable<Entry>
  readonly #hash: string | undefined
  readonly #shapeOf: (entry: unknown) => Entry | undefined

  constructor(
    table: SeriesTable<Entry>,
    labels: LabelObject,
    shapeOf: (entry: unknown) => Entry | undefined,
  ) {
    this.#table = table
    this.#hash = seriesHash(table, labels)
    this.#shapeOf = shapeOf
  }

  /** The live entry, or undefined when prom-client has none (never created, removed, reset). */
  current(): Entry | undefined {
    const entry = this.#entry
    if (entry === undefined || this.#hash === undefined) return undefined
    return this.#table.hashMap?.[this.#hash] === entry ? entry : undefined
  }

  /** After prom-client's own update: the entry it now files the series under, if readable. */
  adopt(): void {
    this.#entry =
      this.#hash === undefined ? undefined : this.#shapeOf(this.#table.hashMap?.[this.#hash])
  }
}

class CachedCounterChild implements CounterChild {
  readonly #counter: Counter<string>
  readonly #labels: LabelObject
  readonly #series: AdoptedSeries<CounterEntry>

  constructor(counter: Counter<string>, labels: LabelObject) {
    this.#counter = counter
    this.#labels = labels
    this.#series = new AdoptedSeries(counter as SeriesTable<CounterEntry>, labels, counterEntry)
  }

  inc(value = 1): void {
    const entry = this.#series.current()
    // NaN, Infinity and negatives go to prom-client, which adds or refuses them as it always has.
    if (entry !== undefined && value >= 0 && value < Number.POSITIVE_INFINITY) {
      entry.value += value
      return
    }
    this.#counter.inc(this.#labels, value)
    this.#series.adopt()
  }
}

/** A histogram's upper bounds, and the property each has in a series' `bucketValues`. */
interface Buckets {
  bounds: readonly number[]
  keys: readonly string[]
}

/** Above every bound prom-client's `findBound` says -1: counted only in a bucket named so. */
const OVERFLOW_BUCKET = '-1'

/** Counts one value in a bucket the series has, as prom-client does (none: only sum and count). */
function countIn(bucketValues: Record<string, number>, key: string): void {
  const count = bucketValues[key]
  if (count !== undefined) bucketValues[key] = count + 1
}

function bucketsOf(histogram: HistogramInternals): Buckets | undefined {
  const { upperBounds } = histogram
  if (!Array.isArray(upperBounds) || !upperBounds.every((bound) => typeof bound === 'number')) {
    return undefined
  }
  return { bounds: upperBounds, keys: upperBounds.map(String) }
}

class CachedHistogramChild implements HistogramChild {
  readonly #histogram: Histogram<string>
  readonly #labels: LabelObject
  readonly #buckets: Buckets | undefined
  readonly #series: AdoptedSeries<HistogramEntry>

  constructor(histogram: Histogram<string>, labels: LabelObject, buckets: Buckets | undefined) {
    this.#histogram = histogram
    this.#labels = labels
    this.#buckets = buckets
    this.#series = new AdoptedSeries(
      histogram as HistogramInternals,
      labels,
      buckets === undefined ? () => undefined : histogramEntry,
    )
  }

  observe(value: number): void {
    const entry = this.#series.current()
    const buckets = this.#buckets
    if (entry === undefined || buckets === undefined || !Number.isFinite(value)) {
      this.#histogram.observe(this.#labels, value)
      this.#series.adopt()
      return
    }
    // In prom-client's order, so the sum is the same float.
    entry.sum += value
    entry.count += 1
    const { bounds, keys } = buckets
    for (let index = 0; index < bounds.length; index++) {
      if (value <= (bounds[index] as number)) {
        countIn(entry.bucketValues, keys[index] as string)
        return
      }
    }
    countIn(entry.bucketValues, OVERFLOW_BUCKET)
  }
}

/**
 * Children by label values: nested Maps, one level per label name, the last holding the child.
 * Holds one child per label value list asked for, as prom-client holds one series per list
 * updated: the callers only ask for a child to update it.
 */
function childCache<Names extends readonly string[], Metric extends { reset(): void }, Child>(
  metric: Metric,
  labelNames: Names,
  createChild: (labels: LabelObject) => Child,
  removeSeries: (labels: LabelObject) => void,
): LabelledMetric<Names, Metric, Child> {
  type Level = Map<string | undefined, Level | Child>
  const root: Level = new Map()

  function labelObject(values: readonly (string | undefined)[]): LabelObject {
    if (values.length !== labelNames.length) {
      throw new Error(`${values.length} label values for ${labelNames.length} label names`)
    }
    // In label name order, the order /metrics prints them in; an undefined value is left out,
    // as prom-client leaves it out of the series' key.
    const labels: LabelObject = {}
    values.forEach((value, index) => {
      if (value !== undefined) labels[labelNames[index] as string] = value
    })
    return labels
  }

  /** Drops the child of `values` below `level`, and each level it leaves empty. */
  function forget(level: Level, values: readonly (string | undefined)[], index: number): void {
    if (index >= values.length - 1) {
      level.delete(values[index])
      return
    }
    const next = level.get(values[index]) as Level | undefined
    if (next === undefined) return
    forget(next, values, index + 1)
    if (next.size === 0) level.delete(values[index])
  }

  return {
    metric,
    labels(...values) {
      // A metric without labels keeps its one child under `undefined` at the root.
      const last = values.length - 1
      let level = root
      for (let index = 0; index < last; index++) {
        const value = values[index]
        let next = level.get(value) as Level | undefined
        if (next === undefined) {
          next = new Map()
          level.set(value, next)
        }
        level = next
      }
      const child = level.get(values[last]) as Child | undefined
      if (child !== undefined) return child
      const created = createChild(labelObject(values))
      level.set(values[last], created)
      return created
    },
    remove(...values) {
      removeSeries(labelObject(values))
      forget(root, values, 0)
    },
    reset() {
      metric.reset()
      root.clear()
    },
  }
}

/** Exemplars change `inc`'s and `observe`'s arguments: none of these metrics has them. */
type WithoutExemplars<Config> = Omit<Config, 'enableExemplars' | 'labelNames'>

/** A Counter whose label values find their child without prom-client's per-call work. */
export function labelledCounter<const Names extends readonly string[]>(
  config: WithoutExemplars<CounterConfiguration<Names[number]>> & { labelNames: Names },
): LabelledMetric<Names, Counter<Names[number]>, CounterChild> {
  const counter = new Counter<Names[number]>(config)
  // The children build their label objects from `labelNames`, so any name they use is one of them.
  const byName = counter as Counter<string>
  return childCache(
    counter,
    config.labelNames,
    (labels) => new CachedCounterChild(byName, labels),
    (labels) => byName.remove(labels),
  )
}

/** A Histogram whose label values find their child without prom-client's per-call work. */
export function labelledHistogram<const Names extends readonly string[]>(
  config: WithoutExemplars<HistogramConfiguration<Names[number]>> & { labelNames: Names },
): LabelledMetric<Names, Histogram<Names[number]>, HistogramChild> {
  const histogram = new Histogram<Names[number]>(config)
  const byName = histogram as Histogram<string>
  const buckets = bucketsOf(histogram as HistogramInternals)
  return childCache(
    histogram,
    config.labelNames,
    (labels) => new CachedHistogramChild(byName, labels, buckets),
    (labels) => byName.remove(labels),
  )
}
