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
})
