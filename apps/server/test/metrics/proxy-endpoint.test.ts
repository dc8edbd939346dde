import { describe, expect, it } from 'vitest'
import {
  PROXY_ENDPOINTS,
  proxyEndpointOf,
  proxyEndpointOfUpstreamPath,
} from '../../src/metrics/proxy-endpoint.js'

describe('proxyEndpointOf', () => {
  it('names every known endpoint by its path, with or without a query', () => {
    for (const endpoint of PROXY_ENDPOINTS) {
      expect(proxyEndpointOf(endpoint)).toBe(endpoint)
      expect(proxyEndpointOf(`${endpoint}?type=text&sub_type=chat`)).toBe(endpoint)
    }
  })

  it('names the resources below models, files and batches by their collection', () => {
    expect(proxyEndpointOf('models/Qwen/Qwen2.5-7B-Instruct')).toBe('models')
    expect(proxyEndpointOf('files/file-abc')).toBe('files')
    expect(proxyEndpointOf('batches/batch-1/cancel?x=1')).toBe('batches')
  })

  it('reports any other path as "other"', () => {
    const others = [
      '',
      'chat',
      'chat/completions/',
      'chat/completions/x',
      'Chat/Completions',
      'embeddings/abc',
      'sk-abcdefghijklmnop/chat/completions',
      'unknown?chat/completions',
    ]
    expect(others.map(proxyEndpointOf)).toEqual(others.map(() => 'other'))
  })
})

describe('proxyEndpointOfUpstreamPath', () => {
  it('names the endpoint of an upstream path as the proxy maps it, anything else "other"', () => {
    expect(proxyEndpointOfUpstreamPath('/v1/chat/completions')).toBe('chat/completions')
    expect(proxyEndpointOfUpstreamPath('/v1/models/Qwen/Qwen2.5-7B-Instruct?x=1')).toBe('models')
    expect(proxyEndpointOfUpstreamPath('/v1/no/such')).toBe('other')
    // A path the proxy refuses (it would leave /v1/), or one that is not an upstream path.
    expect(proxyEndpointOfUpstreamPath(null)).toBe('other')
    expect(proxyEndpointOfUpstreamPath('/api/proxy/chat/completions')).toBe('other')
  })
})
