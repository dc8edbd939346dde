/** Something the load client sends `/v1/...` requests to: the upstream itself or a proxy. */
export interface Target {
  name: TargetName
  /** `http://127.0.0.1:<port>` */
  origin: string
  /** What the client presents: the upstream key (direct, baselines) or a client key (proxy). */
  authorization: string
  /** The process serving it, when it is a child of the bench (CPU time is read from /proc). */
  pid?: number
}

/**
 * `direct`: the look-alike upstream itself; `proxy`: this project's production server;
 * `proxy-no-checks`: the same with AUTO_QUERY_BALANCE_AFTER_CALLS=0 (scenario 2 only: what the
 * balance check after every N successes costs, paired); `baseline`: a plain @fastify/http-proxy
 * app; `nginx`: nginx with proxy_buffering off.
 */
export type TargetName = 'direct' | 'proxy' | 'proxy-no-checks' | 'baseline' | 'nginx'
