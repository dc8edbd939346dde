/** @see CONTRACT §6: `api_keys` entries are separated by whitespace, commas or semicolons. */
const SEPARATORS = /[\s,;]+/

export function splitKeyEntries(text: string): string[] {
  return text.split(SEPARATORS).filter((entry) => entry.length > 0)
}

/** What the live counter under the textarea shows. */
export function countKeyEntries(text: string): { count: number; repeats: number } {
  const entries = splitKeyEntries(text)
  return { count: entries.length, repeats: entries.length - new Set(entries).size }
}
