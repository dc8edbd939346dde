import { vi } from 'vitest'

export interface RecordedRequest {
  method: string
  url: URL
  headers: Headers
  body: unknown
}

type Handler = (request: RecordedRequest) => Response | Promise<Response>

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  })
}

export function text(body: string, status = 200): Response {
  return new Response(body, { status, headers: { 'content-type': 'text/plain; charset=utf-8' } })
}

export function apiError(status: number, code: string, message: string, headers = {}): Response {
  return json({ error: { message, type: 'test', code } }, status, headers)
}

/**
 * Stubs the global fetch with routes like `'GET /api/manage/status'`; anything else answers 404
 * in the error envelope. Every request is recorded (method, URL, headers, parsed body).
 */
export function mockFetch(routes: Record<string, Handler>) {
  const requests: RecordedRequest[] = []
  const fetchMock = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(String(input), 'http://localhost')
    const method = init?.method ?? 'GET'
    const text = typeof init?.body === 'string' ? init.body : undefined
    const request: RecordedRequest = {
      method,
      url,
      headers: new Headers(init?.headers),
      body: text === undefined ? undefined : JSON.parse(text),
    }
    requests.push(request)
    const handler = routes[`${method} ${url.pathname}`]
    if (!handler) return apiError(404, 'not_found', `No route for ${method} ${url.pathname}`)
    return handler(request)
  })
  vi.stubGlobal('fetch', fetchMock)
  return { requests, fetchMock }
}
