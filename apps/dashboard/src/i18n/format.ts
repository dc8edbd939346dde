import { type Language, localeOf } from './language.js'

export type TimeInput = string | number | Date

function toMs(input: TimeInput): number {
  return input instanceof Date
    ? input.getTime()
    : typeof input === 'number'
      ? input
      : Date.parse(input)
}

const RELATIVE_UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
  ['second', 1000],
]

/** Number, money, time and duration formatting for one language; build once per language. */
export function createFormatters(language: Language) {
  const locale = localeOf(language)
  const numberFormat = new Intl.NumberFormat(locale)
  const moneyFormat = new Intl.NumberFormat(locale, { style: 'currency', currency: 'CNY' })
  const dateTimeFormat = new Intl.DateTimeFormat(locale, {
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hour12: false,
  })
  const fullDateTimeFormat = new Intl.DateTimeFormat(locale, {
    dateStyle: 'medium',
    timeStyle: 'medium',
    hour12: false,
  })
  const relativeFormat = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' })
  const units =
    language === 'zh'
      ? { h: '小时', m: '分', s: '秒', ms: '毫秒' }
      : { h: 'h', m: 'min', s: 's', ms: 'ms' }
  const join = language === 'zh' ? '' : ' '

  return {
    number: (value: number) => numberFormat.format(value),
    money: (cny: number) => moneyFormat.format(cny),
    /** Short local time, e.g. `05/14 13:02:11`. */
    dateTime: (input: TimeInput) => dateTimeFormat.format(toMs(input)),
    fullDateTime: (input: TimeInput) => fullDateTimeFormat.format(toMs(input)),
    /** `3 minutes ago`, `in 10 seconds`. */
    relative(input: TimeInput, now = Date.now()) {
      const diff = toMs(input) - now
      for (const [unit, size] of RELATIVE_UNITS) {
        if (Math.abs(diff) >= size || unit === 'second') {
          return relativeFormat.format(Math.round(diff / size), unit)
        }
      }
      return ''
    },
    /** A length of time: `850 ms`, `4.2 s`, `3 min 5 s`, `1 h 2 min`. */
    duration(ms: number) {
      if (ms < 1000) return `${Math.round(ms)}${join}${units.ms}`
      if (ms < 60_000) return `${(ms / 1000).toFixed(1)}${join}${units.s}`
      const totalSeconds = Math.round(ms / 1000)
      const hours = Math.floor(totalSeconds / 3600)
      const minutes = Math.floor((totalSeconds % 3600) / 60)
      const seconds = totalSeconds % 60
      if (hours > 0) return `${hours}${join}${units.h}${join}${minutes}${join}${units.m}`
      return `${minutes}${join}${units.m}${join}${seconds}${join}${units.s}`
    },
  }
}

export type Formatters = ReturnType<typeof createFormatters>

/** `mm:ss`, or `h:mm:ss` past an hour: for countdowns that tick every second. */
export function formatCountdown(ms: number): string {
  const totalSeconds = Math.max(0, Math.ceil(ms / 1000))
  const hours = Math.floor(totalSeconds / 3600)
  const minutes = Math.floor((totalSeconds % 3600) / 60)
  const seconds = totalSeconds % 60
  const mmss = `${String(minutes).padStart(2, '0')}:${String(seconds).padStart(2, '0')}`
  return hours > 0 ? `${hours}:${mmss}` : mmss
}
