import { InvalidJson } from './errors.js'

/** The client's body as it will be sent upstream: received whole first, so always replayable. */
export type ClientBody =
  | { kind: 'none' }
  /** JSON, or a small upload: bytes, sent again as they are on a retry or another lane. */
  | { kind: 'bytes'; bytes: Buffer }
  /** A larger upload (multipart, binary), spooled to a temporary file and read again per attempt. */
  | { kind: 'file'; path: string; length: number }

/** What the proxy reads from a JSON body. */
export interface BodyFacts {
  model: string | null
  stream: boolean
  /** The client asked for the usage event itself (`stream_options.include_usage: true`). */
  clientAskedUsage: boolean
  /** The proxy asked for it: the usage-only event must be taken out of the answer. */
  injectedUsage: boolean
}

const NO_FACTS: BodyFacts = {
  model: null,
  stream: false,
  clientAskedUsage: false,
  injectedUsage: false,
}

/** Endpoints that stream with `stream: true` and add a usage event when asked. */
const USAGE_STREAMING_PATHS = new Set(['/v1/chat/completions', '/v1/completions'])

/**
 * The facts of a JSON body the route parsed as bytes: it is parsed only to read `model` and
 * `stream`, and changed only to ask for the usage event of a streaming completion. An empty body
 * is sent as none. Throws `InvalidJson`.
 * @see README "Request log": for streaming chat the proxy asks upstream for
 * `stream_options.include_usage`
 */
export function prepareJsonBody(
  bytes: Buffer,
  path: string,
): { body: ClientBody; facts: BodyFacts } {
  return bytes.length === 0 ? { body: { kind: 'none' }, facts: NO_FACTS } : jsonBody(bytes, path)
}

/** What an upload (or no body at all) is known for: nothing, as far as the request log goes. */
export const UPLOAD_FACTS: BodyFacts = NO_FACTS

function jsonBody(bytes: Buffer, path: string): { body: ClientBody; facts: BodyFacts } {
  let json: unknown
  try {
    json = JSON.parse(bytes.toString('utf8'))
  } catch (error) {
    throw new InvalidJson(error instanceof Error ? error.message : 'parse error')
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return { body: { kind: 'bytes', bytes }, facts: NO_FACTS }
  }
  const fields = json as Record<string, unknown>
  const options = fields.stream_options
  const asked =
    typeof options === 'object' &&
    options !== null &&
    (options as Record<string, unknown>).include_usage === true
  const facts: BodyFacts = {
    model: typeof fields.model === 'string' ? fields.model : null,
    stream: fields.stream === true,
    clientAskedUsage: asked,
    injectedUsage: false,
  }
  if (!facts.stream || asked || !USAGE_STREAMING_PATHS.has(path.split('?')[0] ?? '')) {
    return { body: { kind: 'bytes', bytes }, facts }
  }
  return {
    body: { kind: 'bytes', bytes: withUsageRequested(bytes, fields) },
    facts: { ...facts, injectedUsage: true },
  }
}

const ASK_FOR_USAGE = Buffer.from('"stream_options":{"include_usage":true},')

/**
 * The body asking for the usage event. Without `stream_options` (nearly always) the member is
 * spliced in after the opening brace, so every other byte reaches the upstream as sent: a
 * re-serialization would round integers beyond 2^53 (a `seed`) and reformat numbers. Options
 * the client set without `include_usage` are merged, which needs the rewrite.
 */
function withUsageRequested(bytes: Buffer, fields: Record<string, unknown>): Buffer {
  if (!Object.hasOwn(fields, 'stream_options')) {
    // Parsed as an object, so the first byte that is not whitespace is its `{`.
    const open = bytes.indexOf(0x7b) + 1
    return Buffer.concat([bytes.subarray(0, open), ASK_FOR_USAGE, bytes.subarray(open)])
  }
  const options = fields.stream_options
  const streamOptions = typeof options === 'object' && options !== null ? options : {}
  const rewritten = { ...fields, stream_options: { ...streamOptions, include_usage: true } }
  return Buffer.from(JSON.stringify(rewritten))
}
