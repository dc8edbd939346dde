import {
  ApiError,
  apiErrorFromResponse,
  INVALID_RESPONSE,
  isAbortError,
  NETWORK_ERROR,
  NETWORK_STATUS,
} from './api-error.js'

/** The server drops `WWW-Authenticate` for calls marked so, so the browser never shows its dialog. */
export const DASHBOARD_CLIENT_HEADER = 'x-sfp-client'

/** What the client needs of a zod schema (the dashboard does not depend on zod directly). */
export interface ResponseSchema<T> {
  safeParse(
    data: unknown,
  ): { success: true; data: T } | { success: false; error: { message: string } }
}

export type QueryValue = string | number | boolean | undefined | null
export type Query = URLSearchParams | Record<string, QueryValue>

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
  query?: Query
  /** Sent as JSON. */
  body?: unknown
  accept?: string
  signal?: AbortSignal
}

export interface HttpClientOptions {
  authorization: string
  /** Called on every 401: the session is over (password changed, or never right). */
  onUnauthorized?: (error: ApiError) => void
  fetch?: typeof fetch
}

export interface HttpClient {
  /** The raw answer of a successful call (for streams and downloads). */
  send(path: string, options?: RequestOptions): Promise<Response>
  json<T>(path: string, schema: ResponseSchema<T>, options?: RequestOptions): Promise<T>
  text(path: string, options?: RequestOptions): Promise<string>
  empty(path: string, options?: RequestOptions): Promise<void>
}

export function withQuery(path: string, query: Query | undefined): string {
  if (query === undefined) return path
  const params = new URLSearchParams()
  const entries = query instanceof URLSearchParams ? query.entries() : Object.entries(query)
  for (const [name, value] of entries) {
    if (value !== undefined && value !== null && value !== '') params.set(name, String(value))
  }
  const search = params.toString()
  return search === '' ? path : `${path}?${search}`
}

/** Long zod messages (thousands of keys) are cut: the first issues say enough. */
const MAX_MESSAGE = 500

export function createHttpClient(options: HttpClientOptions): HttpClient {
  // Looked up per call, so tests that stub the global fetch work whenever they stub it.
  const fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init))

  async function send(path: string, request: RequestOptions = {}): Promise<Response> {
    const headers: Record<string, string> = {
      authorization: options.authorization,
      [DASHBOARD_CLIENT_HEADER]: 'dashboard',
      accept: request.accept ?? 'application/json',
    }
    if (request.body !== undefined) headers['content-type'] = 'application/json'
    let response: Response
    try {
      response = await fetchImpl(withQuery(path, request.query), {
        method: request.method ?? 'GET',
        headers,
        body: request.body === undefined ? null : JSON.stringify(request.body),
        signal: request.signal ?? null,
        cache: 'no-store',
      })
    } catch (error) {
      if (isAbortError(error)) throw error
      const message = error instanceof Error ? error.message : String(error)
      throw new ApiError(NETWORK_STATUS, NETWORK_ERROR, message)
    }
    if (!response.ok) {
      const error = await apiErrorFromResponse(response)
      if (error.status === 401) options.onUnauthorized?.(error)
      throw error
    }
    return response
  }

  return {
    send,
    async json(path, schema, request) {
      const response = await send(path, request)
      let data: unknown
      try {
        data = await response.json()
      } catch {
        throw new ApiError(response.status, INVALID_RESPONSE, `${path}: the answer is not JSON`)
      }
      const parsed = schema.safeParse(data)
      if (!parsed.success) {
        const message = `${path}: ${parsed.error.message}`.slice(0, MAX_MESSAGE)
        throw new ApiError(response.status, INVALID_RESPONSE, message)
      }
      return parsed.data
    },
    async text(path, request) {
      return (await send(path, { accept: 'text/plain', ...request })).text()
    },
    async empty(path, request) {
      await send(path, request)
    },
  }
}
