import type { Explanation } from '@sfp/schemas'
import type {
  NewEgressRow,
  NewKeyEventRow,
  NewRequestLogRow,
  NewUpstreamKeyRow,
} from '../../src/schema.js'

/** Times past 2^31 ms, so that a 32-bit column or a string-typed bigint shows. */
export const T0 = Date.UTC(2025, 0, 1)

/** JSON with what a text encoding could break: nesting, an array, quotes, braces, CJK. */
export const EXPLANATION: Explanation = {
  code: 'method_refused',
  params: { method: 'TRACE "x" {y}, \\z 中文', allowed: ['GET', 'POST'] },
}

export function newKey(name: string, fields: Partial<NewUpstreamKeyRow> = {}): NewUpstreamKeyRow {
  return {
    secret: `sk-${name}`,
    fingerprint: `fp-${name}`,
    maskedKey: `sk-…${name}`,
    createdAt: T0,
    updatedAt: T0,
    ...fields,
  }
}

export function newEgress(host: string, fields: Partial<NewEgressRow> = {}): NewEgressRow {
  return {
    kind: 'http',
    scheme: 'http',
    host,
    port: 8080,
    identity: `http:${host}:8080`,
    createdAt: T0,
    updatedAt: T0,
    ...fields,
  }
}

export function newLog(fields: Partial<NewRequestLogRow> = {}): NewRequestLogRow {
  return {
    time: T0,
    requestId: 'req',
    method: 'POST',
    path: '/v1/chat/completions',
    status: 200,
    durationMs: 100,
    ...fields,
  }
}

export function newEvent(fields: Partial<NewKeyEventRow> = {}): NewKeyEventRow {
  return { time: T0, keyId: 1, type: 'state', reason: 'because', ...fields }
}
