/**
 * The separators the server splits `api_keys` on (docs/behaviour.md §6): whitespace (Unicode spaces
 * included), commas and semicolons, and also their full-width forms and the enumeration comma
 * that a Chinese keyboard types.
 * @see packages/key-pool/src/import-parser.ts `SEPARATORS`, which this must match.
 */
const SEPARATORS = /[\s,;，；、]+/u

export function splitKeyEntries(text: string): string[] {
  return text.split(SEPARATORS).filter((entry) => entry.length > 0)
}

/** What the live counter under the textarea shows. */
export function countKeyEntries(text: string): { count: number; repeats: number } {
  const entries = splitKeyEntries(text)
  return { count: entries.length, repeats: entries.length - new Set(entries).size }
}
