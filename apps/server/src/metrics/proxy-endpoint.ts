/**
 * The SiliconFlow endpoints below `/v1/` the metrics tell apart. Any other path is `other`:
 * the label is always one of these, whatever path a client sends.
 * @see https://docs.siliconflow.cn/cn/api-reference
 */
export const PROXY_ENDPOINTS = [
  'chat/completions',
  'completions',
  'embeddings',
  'rerank',
  'images/generations',
  'audio/speech',
  'audio/transcriptions',
  'audio/voice/list',
  'audio/voice/deletions',
  'uploads/audio/voice',
  'video/submit',
  'video/status',
  'models',
  'user/info',
  'files',
  'batches',
] as const

export type ProxyEndpoint = (typeof PROXY_ENDPOINTS)[number] | 'other'

const BY_PATH = new Map<string, ProxyEndpoint>(
  PROXY_ENDPOINTS.map((endpoint) => [endpoint, endpoint]),
)

/** Endpoints with resources below them (`models/<id>`, `files/<id>`, `batches/<id>/cancel`). */
const COLLECTIONS = new Map<string, ProxyEndpoint>([
  ['models', 'models'],
  ['files', 'files'],
  ['batches', 'batches'],
])

/** The endpoint of a path below `/v1/` (`chat/completions`, a query allowed). */
export function proxyEndpointOf(pathBelowV1: string): ProxyEndpoint {
  const queryStart = pathBelowV1.indexOf('?')
  const path = queryStart === -1 ? pathBelowV1 : pathBelowV1.slice(0, queryStart)
  const endpoint = BY_PATH.get(path)
  if (endpoint !== undefined) return endpoint
  const slash = path.indexOf('/')
  return (slash === -1 ? undefined : COLLECTIONS.get(path.slice(0, slash))) ?? 'other'
}

/** Where the proxy's upstream paths start (`/v1/chat/completions`). */
const UPSTREAM_PATH_PREFIX = '/v1/'

/**
 * The endpoint of an upstream path as the proxy maps it (`upstreamPathOf`: `/v1/...`, normalized);
 * null (a path that would leave `/v1/`) is `other`. Every metric labels an endpoint this way.
 */
export function proxyEndpointOfUpstreamPath(upstreamPath: string | null): ProxyEndpoint {
  if (upstreamPath === null || !upstreamPath.startsWith(UPSTREAM_PATH_PREFIX)) return 'other'
  return proxyEndpointOf(upstreamPath.slice(UPSTREAM_PATH_PREFIX.length))
}
