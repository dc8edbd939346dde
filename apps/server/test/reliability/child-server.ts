import { request } from 'node:http'
import {
  preloadServerProcess,
  type ServerProcess,
  startServerProcess,
} from '@sfp/test-support/server-process'
import { type MockUpstream, startMockUpstream } from '@sfp/test-support/upstream'
import { afterEach } from 'vitest'
import {
  basicAuth,
  TEST_ADMIN_PASSWORD,
  TEST_CLIENT_KEY,
  tempDataDir,
} from '../helpers/test-app.js'

/** The upstream key every child server is given (the look-alike accepts any `sk-` key). */
export const CHILD_UPSTREAM_KEY = `sk-child-${'c'.repeat(40)}`

export interface ChildServer {
  process: ServerProcess
  url: string
  dataDir: string
}

const children: ServerProcess[] = []
const upstreams: MockUpstream[] = []
afterEach(async () => {
  // A test that failed half-way must not leave a server running: SIGKILL, it is only a test.
  for (const child of children.splice(0)) {
    if (child.child.exitCode === null && child.child.signalCode === null) {
      child.child.kill('SIGKILL')
      await child.exited
    }
  }
  for (const upstream of upstreams.splice(0)) await upstream.close()
})

export async function startUpstream(sseIntervalMs = 5): Promise<MockUpstream> {
  const upstream = await startMockUpstream({ acceptAnyKey: true, sseIntervalMs })
  upstreams.push(upstream)
  return upstream
}

function childEnv(upstream: MockUpstream, env: Record<string, string>, dataDir: string) {
  return {
    DATA_DIR: dataDir,
    ADMIN_PASSWORD: TEST_ADMIN_PASSWORD,
    PROXY_API_KEYS: TEST_CLIENT_KEY,
    UPSTREAM_BASE_URL: upstream.url,
    AUTO_QUERY_BALANCE_AFTER_CALLS: '0',
    BALANCE_REFRESH_MINUTES: '0',
    ...env,
  }
}

/**
 * The real entry point in a child process in front of `upstream`, with the test admin password
 * and client key, no background balance checks, and `env` on top. Resolves once it listens.
 */
export async function startChildServer(
  upstream: MockUpstream,
  env: Record<string, string> = {},
  dataDir: string = tempDataDir(),
): Promise<ChildServer> {
  const process = startServerProcess(childEnv(upstream, env, dataDir))
  children.push(process)
  return { process, url: await process.url(), dataDir }
}

/**
 * The same server, loaded now and started by `start()`: the next life of a server that is about
 * to be killed, ready before the kill, touching the database only once started.
 */
export function preloadChildServer(
  upstream: MockUpstream,
  env: Record<string, string>,
  dataDir: string,
): { start(): Promise<ChildServer> } {
  const process = preloadServerProcess(childEnv(upstream, env, dataDir))
  children.push(process)
  return {
    async start() {
      await process.loaded
      process.start()
      return { process, url: await process.url(), dataDir }
    },
  }
}

/**
 * A call to the admin API of a child server. JSON is announced only with a body (an empty body
 * announced as JSON is accepted too, as the old program's page sent it: test/routes/old-habits).
 */
export function adminFetch(url: string, path: string, init: RequestInit = {}): Promise<Response> {
  const json: Record<string, string> =
    init.body === undefined ? {} : { 'content-type': 'application/json' }
  return fetch(`${url}/api/manage${path}`, {
    ...init,
    headers: { authorization: basicAuth(), ...json, ...init.headers },
  })
}

export interface StreamedAnswer {
  status: number
  body: string
  /** True when the response ended normally, false when its connection broke off. */
  complete: boolean
  endedAt: number
}

/**
 * A proxied request read to its end over its own connection (no keep-alive pool shared with
 * other requests), however it ends: completed, or cut by the server.
 */
export function proxyRequest(url: string, body: unknown): Promise<StreamedAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/v1/chat/completions`, {
      method: 'POST',
      agent: false,
      headers: { authorization: `Bearer ${TEST_CLIENT_KEY}`, 'content-type': 'application/json' },
    })
    req.on('response', (res) => {
      let text = ''
      let settled = false
      const finish = (complete: boolean) => {
        if (settled) return
        settled = true
        resolve({ status: res.statusCode ?? 0, body: text, complete, endedAt: Date.now() })
      }
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        text += chunk
      })
      res.on('end', () => finish(true))
      res.on('error', () => finish(false))
      res.on('close', () => finish(res.complete))
    })
    req.on('error', reject)
    req.end(JSON.stringify(body))
  })
}
