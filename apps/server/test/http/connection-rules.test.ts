import type { IncomingMessage } from 'node:http'
import { describe, expect, it } from 'vitest'
import { afterAnswer } from '../../src/http/after-answer.js'
import { connectionsCheckingIntervalMs } from '../../src/http/gateway-server.js'
import { requestHeadProblem } from '../../src/http/request-guard.js'

/** The parts of a parsed request head the guard reads. */
function head(version: string, rawHeaders: string[]): IncomingMessage {
  const [major, minor] = version.split('.').map(Number)
  const headers: Record<string, string> = {}
  for (let at = 0; at < rawHeaders.length; at += 2) {
    const name = (rawHeaders[at] as string).toLowerCase()
    // As Node without joinDuplicateHeaders: the first Host wins.
    headers[name] ??= rawHeaders[at + 1] as string
  }
  return {
    httpVersion: version,
    httpVersionMajor: major,
    httpVersionMinor: minor,
    rawHeaders,
    headers,
  } as unknown as IncomingMessage
}

describe('afterAnswer: what becomes of the connection', () => {
  it.each([
    [200, true, true, 'keep'],
    [404, true, true, 'keep'],
    [429, true, true, 'keep'],
    [400, true, true, 'keep'],
    [401, false, true, 'close'],
    [401, false, false, 'close'],
    [405, false, false, 'close'],
    [503, false, true, 'close'],
    [413, true, false, 'linger'],
    [400, true, false, 'linger'],
    [408, true, false, 'close'],
    [200, true, false, 'keep'],
  ] as const)(
    'status %i, accepted %s, body received %s: %s',
    (status, accepted, received, plan) => {
      expect(afterAnswer(status, accepted, received)).toBe(plan)
    },
  )
})

describe('requestHeadProblem: what llhttp lets through and RFC 9112 does not', () => {
  it.each([
    ['HTTP/0.9', head('0.9', ['Host', 'a'])],
    ['HTTP/2.0 in HTTP/1 syntax', head('2.0', ['Host', 'a'])],
    ['two Host headers', head('1.1', ['Host', 'a', 'Host', 'b'])],
    ['Host in two spellings', head('1.1', ['host', 'a', 'HOST', 'a'])],
    ['no Host in HTTP/1.1', head('1.1', ['Accept', '*/*'])],
    ['a Host with a space', head('1.1', ['Host', 'a b'])],
    ['a Host with a path', head('1.1', ['Host', 'a/b'])],
    ['Transfer-Encoding in HTTP/1.0', head('1.0', ['Transfer-Encoding', 'chunked'])],
  ])('refuses %s with 400 validation_error', (_name, request) => {
    expect(requestHeadProblem(request)).toMatchObject({ status: 400, code: 'validation_error' })
  })

  it.each([
    ['a name and port', head('1.1', ['Host', 'example.test:8080'])],
    ['an IPv4 address', head('1.1', ['Host', '127.0.0.1:3000'])],
    ['an IPv6 literal', head('1.1', ['Host', '[::1]:3000'])],
    ['an empty Host (RFC 9112 §3.2)', head('1.1', ['Host', ''])],
    ['HTTP/1.0 without Host', head('1.0', [])],
  ])('accepts %s', (_name, request) => {
    expect(requestHeadProblem(request)).toBeUndefined()
  })
})

describe('connectionsCheckingIntervalMs', () => {
  it('is a quarter of the shortest limit, between 50 ms and 1 s', () => {
    expect(connectionsCheckingIntervalMs(30_000, 300_000)).toBe(1000)
    expect(connectionsCheckingIntervalMs(30_000, 0)).toBe(1000)
    expect(connectionsCheckingIntervalMs(1000, 300_000)).toBe(250)
    expect(connectionsCheckingIntervalMs(500, 1500)).toBe(125)
    expect(connectionsCheckingIntervalMs(100, 100)).toBe(50)
  })
})
