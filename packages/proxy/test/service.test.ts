import { describe, expect, it } from 'vitest'
import { upstreamPathOf } from '../src/service.js'

describe('upstreamPathOf', () => {
  it('maps both prefixes to /v1, query kept', () => {
    expect(upstreamPathOf('/v1/chat/completions?a=1&b=%20', '/v1')).toBe(
      '/v1/chat/completions?a=1&b=%20',
    )
    expect(upstreamPathOf('/api/proxy/chat/completions', '/api/proxy')).toBe('/v1/chat/completions')
    expect(upstreamPathOf('/v1/models', '/v1')).toBe('/v1/models')
  })

  it('refuses paths that leave /v1/ once normalised', () => {
    expect(upstreamPathOf('/v1/../user/info', '/v1')).toBeNull()
    expect(upstreamPathOf('/v1/a/%2e%2e/%2E%2E/admin', '/v1')).toBeNull()
    expect(upstreamPathOf('/api/proxy/..', '/api/proxy')).toBeNull()
    expect(upstreamPathOf('/v2/models', '/v1')).toBeNull()
  })

  it('maps a path exactly as URL parsing does, whether or not it takes the parser', () => {
    const viaUrlParser = (url: string) => {
      const target = new URL(`/v1${url.slice('/v1'.length)}`, 'http://upstream.invalid')
      return target.pathname.startsWith('/v1/') ? `${target.pathname}${target.search}` : null
    }
    const urls = [
      // plain: taken as they are
      '/v1/models/Qwen/Qwen2.5-7B-Instruct',
      '/v1/files/file-1?purpose=batch&limit=10',
      '/v1/a//b/...',
      '/v1/.hidden/x.',
      // what the parser rewrites: escapes, backslashes, fragments, dot segments, an empty query
      '/v1/a b/"c"/{d}/é',
      '/v1/a\\b',
      '/v1/chat/completions#frag',
      '/v1/chat/completions?',
      '/v1/chat/completions?q=a b',
      '/v1/a/./b',
      '/v1/a/../b?x',
      '/v1/a/%2e/b',
      '/v1/a/%2E%2e/b',
      '/v1/..',
    ]
    for (const url of urls) expect(upstreamPathOf(url, '/v1'), url).toBe(viaUrlParser(url))
  })
})
