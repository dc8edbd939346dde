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

/**
 * The usage an SSE event's data carries, and whether the event exists only for it: the final
 * `choices: []` + `usage` chunk that `stream_options.include_usage` adds.
 * @see docs/upstream.md §6
 */
export function usageFromSseEvent(data: string): { usage: TokenUsage; usageOnly: boolean } | null {
  // Cheap test first: most events are content deltas and need no JSON parse here.
  if (!data.includes('"usage"')) return null
  let event: unknown
  try {
    event = JSON.parse(data)
  } catch {
    return null
  }
  if (typeof event !== 'object' || event === null) return null
  const { usage, choices } = event as { usage?: unknown; choices?: unknown }
  const parsed = usageFromObject(usage)
  if (parsed === null) return null
  return { usage: parsed, usageOnly: Array.isArray(choices) && choices.length === 0 }
}

/** A JSON answer up to this size is parsed whole for its usage. */
export const USAGE_JSON_MAX_BYTES = 1024 * 1024
/** Beyond it, only this much of the end is kept: `usage` comes last in OpenAI-style answers. */
export const USAGE_TAIL_BYTES = 64 * 1024

/**
 * Reads the usage of a JSON answer as it streams by, with bounded memory: the whole body while it
 * is small, else a rolling tail in which the last `"usage": {...}` object is looked for.
 */
export class JsonUsageCollector {
  #chunks: Buffer[] = []
  #bytes = 0
  #truncated = false

  add(chunk: Buffer): void {
    this.#chunks.push(chunk)
    this.#bytes += chunk.length
    if (this.#bytes <= USAGE_JSON_MAX_BYTES) return
    this.#truncated = true
    while (this.#chunks.length > 1) {
      const first = this.#chunks[0]
      if (first === undefined || this.#bytes - first.length < USAGE_TAIL_BYTES) break
      this.#chunks.shift()
      this.#bytes -= first.length
    }
  }

  usage(): TokenUsage | null {
    const text = Buffer.concat(this.#chunks).toString('utf8')
    if (this.#truncated) return usageFromTail(text)
    try {
      return usageFromJson(JSON.parse(text))
    } catch {
      return null
    }
  }
}

/** The last `"usage": {...}` object in a piece of JSON text (usage holds no strings). */
function usageFromTail(text: string): TokenUsage | null {
  const key = text.lastIndexOf('"usage"')
  const open = text.indexOf('{', key)
  if (key === -1 || open === -1 || !/^"usage"\s*:\s*$/.test(text.slice(key, open))) return null
  let depth = 0
  for (let index = open; index < text.length; index += 1) {
    const char = text[index]
    if (char === '{') depth += 1
    else if (char === '}') depth -= 1
    if (depth > 0) continue
    try {
      return usageFromObject(JSON.parse(text.slice(open, index + 1)))
    } catch {
      return null
    }
  }
  return null
}
