/** Token counts for the request log (docs/behaviour.md §7); null where the upstream did not say. */
export interface TokenUsage {
  promptTokens: number | null
  completionTokens: number | null
  totalTokens: number | null
}

const count = (value: unknown): number | null =>
  typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : null

/** OpenAI-style `usage` (`prompt_tokens`, `completion_tokens`, `total_tokens`). */
export function usageFromObject(value: unknown): TokenUsage | null {
  if (typeof value !== 'object' || value === null) return null
  const usage = value as Record<string, unknown>
  const promptTokens = count(usage.prompt_tokens)
  const completionTokens = count(usage.completion_tokens)
  let totalTokens = count(usage.total_tokens)
  if (totalTokens === null && promptTokens !== null && completionTokens !== null) {
    totalTokens = promptTokens + completionTokens
  }
  if (promptTokens === null && completionTokens === null && totalTokens === null) return null
  return { promptTokens, completionTokens, totalTokens }
}

/** A JSON answer's usage: `usage`, or rerank's `tokens: {input_tokens, output_tokens}`. */
export function usageFromJson(body: unknown): TokenUsage | null {
  if (typeof body !== 'object' || body === null) return null
  const { usage, tokens } = body as { usage?: unknown; tokens?: unknown }
  const fromUsage = usageFromObject(usage)
  if (fromUsage !== null || typeof tokens !== 'object' || tokens === null) return fromUsage
  const { input_tokens, output_tokens } = tokens as Record<string, unknown>
  return usageFromObject({ prompt_tokens: input_tokens, completion_tokens: output_tokens })
}

const USAGE_NAME = Buffer.from('"usage"')

/**
 * The usage an SSE event's data carries, and whether the event exists only for it: the final
 * `choices: []` + `usage` chunk that `stream_options.include_usage` adds.
 * @see docs/upstream.md §6
 */
export function usageFromSseEvent(data: Buffer): { usage: TokenUsage; usageOnly: boolean } | null {
  // Cheap test first, on the bytes: most events are content deltas, neither decoded nor parsed.
  if (data.indexOf(USAGE_NAME) === -1) return null
  let event: unknown
  try {
    event = JSON.parse(data.toString('utf8'))
  } catch {
    return null
  }
  if (typeof event !== 'object' || event === null) return null
  const { usage, choices } = event as { usage?: unknown; choices?: unknown }
  const parsed = usageFromObject(usage)
  if (parsed === null) return null
  return { usage: parsed, usageOnly: Array.isArray(choices) && choices.length === 0 }
}

/** A JSON answer up to this size is kept whole for its usage. */
export const USAGE_JSON_MAX_BYTES = 1024 * 1024
/** Beyond it, only this much of the end is kept: `usage` comes last in OpenAI-style answers. */
export const USAGE_TAIL_BYTES = 64 * 1024

/**
 * Keeps what a JSON answer's usage is read from as it streams by, with bounded memory: the whole
 * body while it is small, else a rolling tail.
 */
export class JsonUsageCollector {
  #chunks: Buffer[] = []
  #bytes = 0

  add(chunk: Buffer): void {
    this.#chunks.push(chunk)
    this.#bytes += chunk.length
    if (this.#bytes <= USAGE_JSON_MAX_BYTES) return
    while (this.#chunks.length > 1) {
      const first = this.#chunks[0]
      if (first === undefined || this.#bytes - first.length < USAGE_TAIL_BYTES) break
      this.#chunks.shift()
      this.#bytes -= first.length
    }
  }

  usage(): TokenUsage | null {
    const only = this.#chunks.length === 1 ? this.#chunks[0] : undefined
    return usageFromJsonEnd(only ?? Buffer.concat(this.#chunks))
  }
}

const QUOTE = 0x22
const BACKSLASH = 0x5c
const COLON = 0x3a
const COMMA = 0x2c
const OPEN_OBJECT = 0x7b
const CLOSE_OBJECT = 0x7d
const OPEN_ARRAY = 0x5b
const CLOSE_ARRAY = 0x5d
const USAGE = Buffer.from('usage')
const TOKENS = Buffer.from('tokens')

const isJsonSpace = (byte: number | undefined): boolean =>
  byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09

/**
 * `usageFromJson(JSON.parse(bytes))` without parsing the answer: the top-level members are walked
 * from the end (strings skipped whole, nesting counted), and only the last `usage` member (and,
 * when that says nothing, the last `tokens`) is parsed, as `JSON.parse` keeps the last of
 * duplicates. OpenAI-style answers put `usage` last, so a chat completion's content is never
 * looked at: parsing every answer whole for it was 1.7–2 % of the server's CPU (bench/README.md
 * "Profile"). The same for any valid document; a malformed one may give the usage it claims where
 * a parse gave none. On the tail of a large answer (`bytes` starting anywhere), a member is found
 * when it lies within the tail.
 */
export function usageFromJsonEnd(bytes: Buffer): TokenUsage | null {
  let last = bytes.length - 1
  while (isJsonSpace(bytes[last])) last -= 1
  if (bytes[last] !== CLOSE_OBJECT) return null
  let depth = 0
  /** Where the top-level member being walked ends: its `,` or the object's `}`. */
  let memberEnd = last
  let usage: unknown
  let tokens: unknown
  for (let at = last; at >= 0; at -= 1) {
    const byte = bytes[at]
    if (byte === QUOTE) {
      const open = openingQuote(bytes, at)
      if (open < 0) break
      const name = depth === 1 ? memberNameAt(bytes, open, at) : null
      const valueStart = name === null ? -1 : bytes.indexOf(COLON, at) + 1
      if (name === 'usage' && usage === undefined) {
        usage = parsedOrNull(bytes, valueStart, memberEnd)
        const found = usageFromObject(usage)
        if (found !== null) return found
      } else if (name === 'tokens' && tokens === undefined) {
        tokens = parsedOrNull(bytes, valueStart, memberEnd)
      }
      if (usage !== undefined && tokens !== undefined) break
      at = open
    } else if (byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) depth += 1
    else if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) depth -= 1
    else if (byte === COMMA && depth === 1) memberEnd = at
  }
  return usageFromJson({ usage, tokens })
}

function parsedOrNull(bytes: Buffer, start: number, end: number): unknown {
  try {
    return JSON.parse(bytes.toString('utf8', start, end))
  } catch {
    return null
  }
}

/** The quote that opens the string closed at `close` (-1 when it lies before `bytes`). */
function openingQuote(bytes: Buffer, close: number): number {
  for (let at = close - 1; at >= 0; at -= 1) {
    at = bytes.lastIndexOf(QUOTE, at)
    if (at < 0) return -1
    let backslashes = 0
    while (bytes[at - 1 - backslashes] === BACKSLASH) backslashes += 1
    if (backslashes % 2 === 0) return at
  }
  return -1
}

/**
 * The name of the top-level member whose name is the string `open`..`close`, when it is `usage`
 * or `tokens` (escapes decoded); null for another name, or for a string that is a value.
 */
function memberNameAt(bytes: Buffer, open: number, close: number): 'usage' | 'tokens' | null {
  let next = close + 1
  while (isJsonSpace(bytes[next])) next += 1
  if (bytes[next] !== COLON) return null
  for (let at = open + 1; at < close; at += 1) {
    if (bytes[at] !== BACKSLASH) continue
    const name = parsedOrNull(bytes, open, close + 1)
    return name === 'usage' || name === 'tokens' ? name : null
  }
  const length = close - open - 1
  if (length === 5 && bytes.compare(USAGE, 0, 5, open + 1, close) === 0) return 'usage'
  if (length === 6 && bytes.compare(TOKENS, 0, 6, open + 1, close) === 0) return 'tokens'
  return null
}
