import { InvalidJson } from './errors.js'
import { documentObjectStart, lastMember, objectMembers } from './json-members.js'

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
  const json = parseJson(bytes)
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
    model: typeof fields.model === 'string' ? exactModel(fields.model, bytes) : null,
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

/**
 * The body parsed from its bytes read as Latin-1 (one character per byte), not decoded as UTF-8
 * first. JSON's grammar is all ASCII, UTF-8 never puts an ASCII byte inside a multi-byte
 * character, and a decoder's U+FFFD for a bad sequence never takes an ASCII byte with it: so this
 * accepts and refuses exactly the bodies a parse of the UTF-8 text does, and reads every member
 * name, number, boolean and ASCII string the same. Only strings holding non-ASCII bytes differ,
 * and of those the proxy reads one, `model` (`exactModel`). Decoding first cost seven times as
 * much on Chinese text: ~0.35 ms of the main thread per 100 KB of prompt, against ~0.05 ms
 * (bench/README.md "Eleventh pass"). Throws `InvalidJson`.
 */
function parseJson(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('latin1'))
  } catch {
    // Refused as UTF-8 too (above). Parsed again, its error quotes the text as the client wrote
    // it; and should the two readings ever disagree, the UTF-8 one decides.
  }
  try {
    return JSON.parse(bytes.toString('utf8'))
  } catch (error) {
    throw new InvalidJson(error instanceof Error ? error.message : 'parse error')
  }
}

const NON_ASCII = /[\u0080-\uffff]/

/**
 * `model` as the client wrote it: an ASCII name (every real one) reads the same either way; one
 * with other characters is read again from its own bytes as UTF-8 (the member JSON.parse keeps).
 */
function exactModel(parsed: string, bytes: Buffer): string {
  if (!NON_ASCII.test(parsed)) return parsed
  const member = lastMember(objectMembers(bytes, documentObjectStart(bytes)), 'model')
  if (member === undefined) return parsed
  return JSON.parse(bytes.toString('utf8', member.valueStart, member.valueEnd)) as string
}

const ASK_FOR_USAGE = '"stream_options":{"include_usage":true},'

/** `bytes` with `[from, to)` replaced by `text`. */
function splice(bytes: Buffer, from: number, to: number, text: string): Buffer {
  return Buffer.concat([bytes.subarray(0, from), Buffer.from(text), bytes.subarray(to)])
}

/**
 * The body asking for the usage event, every other byte as the client sent it: a re-serialisation
 * would round integers beyond 2^53 (a `seed`) and turn `1e400` into null. Without
 * `stream_options` (nearly always) the member is added after the opening brace; with it,
 * `include_usage` is added inside it, or its value (the one JSON.parse keeps: the last) set to
 * `true`; a `stream_options` that is not an object is replaced.
 */
function withUsageRequested(bytes: Buffer, fields: Record<string, unknown>): Buffer {
  const top = documentObjectStart(bytes)
  const options = lastMember(objectMembers(bytes, top), 'stream_options')
  if (options === undefined) return splice(bytes, top + 1, top + 1, ASK_FOR_USAGE)
  const value = fields.stream_options
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return splice(bytes, options.valueStart, options.valueEnd, '{"include_usage":true}')
  }
  const inside = objectMembers(bytes, options.valueStart)
  const usage = lastMember(inside, 'include_usage')
  if (usage !== undefined) return splice(bytes, usage.valueStart, usage.valueEnd, 'true')
  const member = inside.length === 0 ? '"include_usage":true' : '"include_usage":true,'
  return splice(bytes, options.valueStart + 1, options.valueStart + 1, member)
}
