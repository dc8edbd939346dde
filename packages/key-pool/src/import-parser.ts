import { type InvalidKeyInput, maskSecret } from '@sfp/schemas'

/** Rules for one upstream key as pasted by the admin. */
export const KEY_MIN_LENGTH = 8
export const KEY_MAX_LENGTH = 256
const PRINTABLE_ASCII = /^[\x21-\x7e]*$/

/**
 * Keys are separated by whitespace (Unicode spaces included), commas, semicolons, and their
 * full-width forms and the enumeration comma, which a Chinese keyboard produces.
 */
const SEPARATORS = /[\s,;，；、]+/u

/** A pasted document of garbage must not produce a garbage answer of the same size. */
export const MAX_REPORTED_INVALID = 1000

/** A rejected entry; `input` is masked: a mistyped key is still mostly a key. */
export type InvalidEntry = InvalidKeyInput

export interface ParsedKeyList {
  /** Valid keys, first occurrence of each, in input order. */
  keys: string[]
  /** Entries repeating an earlier entry of the same list. */
  duplicates: number
  invalid: InvalidEntry[]
}

type Rejection = Pick<InvalidEntry, 'code' | 'reason'>

function rejection(entry: string): Rejection | undefined {
  if (!PRINTABLE_ASCII.test(entry)) {
    return {
      code: 'invalid_characters',
      reason: 'invalid characters (printable ASCII only, no spaces)',
    }
  }
  if (entry.length < KEY_MIN_LENGTH) {
    return { code: 'too_short', reason: `too short (at least ${KEY_MIN_LENGTH} characters)` }
  }
  if (entry.length > KEY_MAX_LENGTH) {
    return { code: 'too_long', reason: `too long (at most ${KEY_MAX_LENGTH} characters)` }
  }
  return undefined
}

/**
 * How a rejected entry is shown: masked like a key, with every code point that is not printable
 * ASCII shown as `?` (no half characters, invisible or control characters in the answer). Only
 * the ends are ever shown, so only the ends are looked at: an 8 MB entry costs no more.
 */
export function maskEntry(entry: string): string {
  const ends = entry.length > 64 ? `${entry.slice(0, 32)}${entry.slice(-32)}` : entry
  return maskSecret(ends.replace(/[^\x21-\x7e]/gu, '?'))
}

/**
 * `api_key`: exactly one key, trimmed. A separator inside means several keys or a broken one:
 * rejected whole, never split (that is what `api_keys` is for).
 */
export function parseSingleKey(text: string): ParsedKeyList {
  const entry = text.trim()
  const rejected: Rejection | undefined = SEPARATORS.test(entry)
    ? {
        code: 'invalid_characters',
        reason: 'one key only: no spaces, commas or semicolons (send a list as api_keys)',
      }
    : rejection(entry)
  if (rejected === undefined) return { keys: [entry], duplicates: 0, invalid: [] }
  return { keys: [], duplicates: 0, invalid: [{ input: maskEntry(entry), ...rejected }] }
}

/** Split a pasted list into keys, in-list duplicates and rejected entries. */
export function parseKeyList(text: string): ParsedKeyList {
  const keys: string[] = []
  const seen = new Set<string>()
  const invalid: InvalidEntry[] = []
  let duplicates = 0
  let unreported = 0
  for (const entry of text.split(SEPARATORS)) {
    if (entry === '') continue
    const rejected = rejection(entry)
    if (rejected !== undefined) {
      if (invalid.length < MAX_REPORTED_INVALID)
        invalid.push({ input: maskEntry(entry), ...rejected })
      else unreported += 1
    } else if (seen.has(entry)) {
      duplicates += 1
    } else {
      seen.add(entry)
      keys.push(entry)
    }
  }
  if (unreported > 0) {
    invalid.push({
      input: '…',
      code: 'more_not_listed',
      reason: `${unreported} more invalid entries not listed`,
      count: unreported,
    })
  }
  return { keys, duplicates, invalid }
}
