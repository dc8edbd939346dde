import type { IncomingHttpHeaders } from 'node:http'

/** An account behind a key, as `/v1/user/info` reports it: balances are strings (CNY). */
export interface MockAccount {
  balance?: string
  chargeBalance?: string
  totalBalance?: string
  /** Anything but `normal` means the account is restricted. */
  status?: string
}

/**
 * How `/v1/user/info` behaves: the real endpoint is being retired (410/404), and the proxy must
 * treat a broken or slow answer as "balance unknown", never zero.
 */
export type UserInfoMode = 'ok' | 'gone' | 'not-found' | 'malformed' | 'hang'

/** A scripted answer that replaces the normal behaviour for matching requests. */
export type Fault =
  /** Answer with this status and body (object bodies are sent as JSON). */
  | { kind: 'status'; status: number; body?: unknown; headers?: Record<string, string> }
  /** Destroy the socket before any response byte. */
  | { kind: 'reset-before-headers' }
  /** Send headers and `afterEvents` SSE events (or bytes of a JSON body), then destroy the socket. */
  | { kind: 'reset-mid-stream'; afterEvents?: number }
  /** Never answer (tests the headers timeout). */
  | { kind: 'hang' }
  /**
   * Send headers and a first event (JSON: half the body), then go silent without closing (tests
   * the body idle timeout).
   */
  | { kind: 'stall-body' }
  /** The normal answer, but each SSE event `intervalMs` apart. */
  | { kind: 'slow-drip'; intervalMs: number }
  /** SSE with broken framing and a non-JSON data line, then [DONE]. */
  | { kind: 'malformed-sse' }
  /** A response header far larger than any sane limit. */
  | { kind: 'oversized-headers'; bytes?: number }
  /** The normal answer after a delay before the headers. */
  | { kind: 'delay'; ms: number }
  /**
   * 200 with a body of `bytes` bytes (default `application/octet-stream`), written as fast as the
   * client takes it, backpressure respected: with `responseBytes`, shows how much a slow reader
   * let through.
   */
  | { kind: 'large-body'; bytes: number; contentType?: string }
  /**
   * 200 `message/http` echoing the request back: its request line, every header as received and
   * its body (`echoOf`). What a recipient that follows RFC 9110 answers to TRACE, here for any
   * method, and careless in the way the RFC warns against: Authorization is echoed too. TRACE
   * is echoed without a script.
   */
  | { kind: 'echo' }

export interface FaultMatch {
  method?: string
  /** Exact path without query (`/v1/chat/completions`) or a pattern. */
  path?: string | RegExp
  /** Only requests made with this upstream key. */
  key?: string
}

export interface ScriptedFault {
  match?: FaultMatch
  fault: Fault
  /** How many matching requests it answers (default 1; `Infinity` for all). */
  times?: number
}

export interface RecordedRequest {
  method: string
  /** Path with query string, as received. */
  url: string
  path: string
  headers: IncomingHttpHeaders
  /**
   * The caller's address as this socket saw it (`::ffff:` of IPv4-mapped addresses stripped):
   * with egress lanes, which lane the call took.
   */
  sourceAddress: string
  /** The bearer token sent, if any. */
  key: string | undefined
  body: Buffer
  receivedAt: number
  /** Set when the connection closed before the response was complete (client abort). */
  abortedAt: number | undefined
  /** Set when the response was completely sent. */
  finishedAt: number | undefined
  /** Response body bytes handed to the socket so far. */
  responseBytes: number
}
