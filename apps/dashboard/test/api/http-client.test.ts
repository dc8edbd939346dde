import { statusViewSchema } from '@sfp/schemas'
import { describe, expect, it, vi } from 'vitest'
import { ApiError, INVALID_RESPONSE, NETWORK_ERROR } from '../../src/api/api-error.js'
import { basicAuthorization } from '../../src/api/credentials.js'
import { createHttpClient, withQuery } from '../../src/api/http-client.js'
import { apiError, json, mockFetch } from '../helpers/fetch-mock.js'
import { statusView } from '../helpers/fixtures.js'

describe('createHttpClient', () => {
  it('sends Basic auth and marks the call as the dashboard’s (no browser login dialog)', async () => {
    const { requests } = mockFetch({ 'GET /api/manage/status': () => json(statusView()) })
    const http = createHttpClient({ authorization: basicAuthorization('admin', 'pässword') })
    await http.json('/api/manage/status', statusViewSchema)
    const headers = requests[0]?.headers
    expect(headers?.get('x-sfp-client')).toBe('dashboard')
    expect(headers?.get('authorization')).toBe(`Basic ${btoa('admin:p\xc3\xa4ssword')}`)
  })

  it('sends JSON bodies with a content type, and none without a body', async () => {
    const { requests } = mockFetch({
      'POST /a': () => new Response(null, { status: 204 }),
      'PUT /b': () => new Response(null, { status: 204 }),
    })
    const http = createHttpClient({ authorization: 'Basic x' })
    await http.empty('/a', { method: 'POST', body: { ids: [1] } })
    await http.empty('/b', { method: 'PUT' })
    expect(requests[0]?.headers.get('content-type')).toBe('application/json')
    expect(requests[0]?.body).toEqual({ ids: [1] })
    expect(requests[1]?.headers.get('content-type')).toBeNull()
  })

  it('turns the error envelope into an ApiError with fields and Retry-After', async () => {
    mockFetch({
      'GET /x': () =>
        json(
          {
            error: {
              message: 'slow down',
              type: 'rate_limit_error',
              code: 'too_many_failed_logins',
            },
          },
          429,
          { 'retry-after': '42' },
        ),
    })
    const error = await createHttpClient({ authorization: 'Basic x' })
      .text('/x')
      .catch((failure: unknown) => failure)
    expect(error).toBeInstanceOf(ApiError)
    expect(error).toMatchObject({
      status: 429,
      code: 'too_many_failed_logins',
      retryAfterSeconds: 42,
    })
  })

  it('calls onUnauthorized on a 401', async () => {
    mockFetch({ 'GET /x': () => apiError(401, 'unauthorized', 'no') })
    const onUnauthorized = vi.fn()
    const http = createHttpClient({ authorization: 'Basic x', onUnauthorized })
    await expect(http.text('/x')).rejects.toMatchObject({ status: 401 })
    expect(onUnauthorized).toHaveBeenCalledOnce()
  })

  it('reports network failures and answers that break the schema', async () => {
    vi.stubGlobal('fetch', () => Promise.reject(new TypeError('Failed to fetch')))
    const http = createHttpClient({ authorization: 'Basic x' })
    await expect(http.text('/x')).rejects.toMatchObject({ code: NETWORK_ERROR, status: 0 })
    mockFetch({ 'GET /s': () => json({ nope: true }) })
    await expect(http.json('/s', statusViewSchema)).rejects.toMatchObject({
      code: INVALID_RESPONSE,
    })
  })
})

describe('withQuery', () => {
  it('leaves out empty values', () => {
    expect(withQuery('/p', { a: 1, b: '', c: undefined, d: null, e: 'x y' })).toBe('/p?a=1&e=x+y')
    expect(withQuery('/p', {})).toBe('/p')
  })
})
