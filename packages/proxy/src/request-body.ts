import type { IncomingHttpHeaders } from 'node:http'
import { type Readable, Transform, type TransformCallback } from 'node:stream'
import { InvalidJson, RequestTooLarge } from './errors.js'

/** The client's body as it will be sent upstream. */
export type ClientBody =
  | { kind: 'none' }
  /** A JSON body: bytes, so it can be sent again on a retry or to another key. */
  | { kind: 'bytes'; bytes: Buffer }
  /** Any other body (multipart uploads, binary), streamed through once and never re-encoded. */
  | { kind: 'stream'; upload: CountedUpload; length: string | undefined }

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
 * Counts an upload's bytes on its way upstream and fails it past the limit. Bodies without a
 * Content-Length (chunked) are only limited this way.
 */
export class CountedUpload extends Transform {
  bytes = 0
  exceeded = false

  constructor(
    private readonly source: Readable,
    private readonly limit: number,
  ) {
    super()
    source.on('error', (error) => this.destroy(error))
    source.pipe(this)
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length
    if (this.bytes > this.limit) {
      this.exceeded = true
      callback(new RequestTooLarge(this.limit))
      return
    }
    callback(null, chunk)
  }

  /** Bytes went to the upstream (or the stream broke): it cannot be sent again. */
  get consumed(): boolean {
    return this.readableDidRead || this.destroyed
  }

  /** The request is over: let Node read and drop what the upstream did not take. */
  release(): void {
    this.source.unpipe(this)
    if (!this.source.readableEnded && !this.source.destroyed) this.source.resume()
  }
}

/**
 * Prepare the body parsed by the route: JSON (a Buffer) is parsed only to read `model` and
 * `stream`, and changed only to ask for the usage event of a streaming completion; any other
 * body (the raw request stream) is passed on as it comes.
 * Throws `InvalidJson` and `RequestTooLarge`.
 * @see CONTRACT §7 "for streaming chat the proxy asks upstream for stream_options.include_usage"
 */
export function prepareBody(
  body: unknown,
  headers: IncomingHttpHeaders,
  path: string,
  limit: number,
): { body: ClientBody; facts: BodyFacts } {
  if (Buffer.isBuffer(body)) {
    return body.length === 0 ? { body: { kind: 'none' }, facts: NO_FACTS } : jsonBody(body, path)
  }
  if (isReadable(body)) {
    const length = headers['content-length']
    if (length !== undefined && Number(length) > limit) throw new RequestTooLarge(limit)
    return {
      body: { kind: 'stream', upload: new CountedUpload(body, limit), length },
      facts: NO_FACTS,
    }
  }
  return { body: { kind: 'none' }, facts: NO_FACTS }
}

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

function isReadable(value: unknown): value is Readable {
  return (
    typeof value === 'object' && value !== null && typeof (value as Readable).pipe === 'function'
  )
}
