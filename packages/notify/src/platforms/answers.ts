import type { AnswerVerdict } from '../types.js'

/** The platform's own verdict in its JSON answer; undefined when the answer has none. */
export type PlatformResult =
  | { ok: true }
  | { ok: false; platformCode: string | null; detail: string | null }
  | undefined

const DETAIL_MAX = 200

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body)
  } catch {
    return undefined
  }
}

/** Trying again helps after no answer, a 5xx, 408 or 429, and a refusal inside a 2xx (rate). */
const retriable = (status: number) =>
  status >= 500 || status === 408 || status === 429 || (status >= 200 && status < 300)

/**
 * A chat platform's answer: success needs a 2xx and the platform's own success field; a refusal
 * in the JSON is a `platform_error` whatever the status (Feishu answers 400 with `code`).
 */
export function readPlatformAnswer(
  status: number,
  body: string,
  readResult: (json: Record<string, unknown>) => PlatformResult,
): AnswerVerdict {
  const json = parseJson(body)
  const result =
    typeof json === 'object' && json !== null
      ? readResult(json as Record<string, unknown>)
      : undefined
  const success = status >= 200 && status < 300
  if (result?.ok === true && success) return { ok: true }
  if (result !== undefined && result.ok === false) {
    const detail = result.detail === null ? null : result.detail.slice(0, DETAIL_MAX)
    return {
      ok: false,
      failure: {
        code: 'platform_error',
        params: { status, platformCode: result.platformCode, detail },
      },
      retry: retriable(status),
    }
  }
  if (!success) return httpStatusFailure(status)
  return { ok: false, failure: { code: 'unreadable_answer', params: { status } }, retry: false }
}

export function httpStatusFailure(status: number): AnswerVerdict {
  const retry = status >= 500 || status === 408 || status === 429
  return { ok: false, failure: { code: 'http_status', params: { status } }, retry }
}

/** `errcode` (DingTalk, WeCom), `code` / `StatusCode` (Feishu): 0 is success. */
export function readErrorCode(value: unknown, message: unknown): PlatformResult {
  if (typeof value !== 'number') return undefined
  if (value === 0) return { ok: true }
  return {
    ok: false,
    platformCode: String(value),
    detail: typeof message === 'string' ? message : null,
  }
}

export const JSON_HEADERS = {
  'content-type': 'application/json; charset=utf-8',
  'user-agent': 'SiliconFlow-Proxy',
} as const
