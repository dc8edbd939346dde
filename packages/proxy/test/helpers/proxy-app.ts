import { randomUUID } from 'node:crypto'
import { mkdtempSync, readdirSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { clockPlugin } from '@sfp/runtime'
import {
  type MockUpstream,
  type MockUpstreamOptions,
  startMockUpstream,
} from '@sfp/test-support/upstream'
import Fastify, { type FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { afterEach } from 'vitest'
import {
  type ProxyPluginOptions,
  type ProxyRequestRecord,
  type ProxySettings,
  proxyPlugin,
  proxyRoutes,
} from '../../src/index.js'
import { FakeDispatch, type FakeLane } from './fakes.js'

export const CLIENT_KEY = 'sk-client-key-for-tests-0001'
export const CLIENT_KEY_ID = 7

export interface ProxyTestApp {
  /** The proxy's origin, e.g. `http://127.0.0.1:41234`. */
  url: string
  app: FastifyInstance
  upstream: MockUpstream
  /** The fake dispatch: leases taken, calls made on them, verdicts (scripted per test). */
  dispatch: FakeDispatch
  records: ProxyRequestRecord[]
  /** Delays the proxy asked to wait between retries (the test sleep returns at once). */
  sleeps: number[]
  /** Resolves once `count` records have been emitted. */
  waitForRecords(count: number): Promise<ProxyRequestRecord[]>
}

export interface ProxyTestOptions {
  upstream?: MockUpstreamOptions
  settings?: Partial<ProxySettings>
  retry?: ProxyPluginOptions['retry']
  /** The fake dispatch's lanes (default: lane 1, a plain undici Agent). */
  lanes?: FakeLane[]
  /** Fastify's `trustProxy` (the server sets it from TRUST_PROXY). */
  trustProxy?: boolean
  /** Really wait between retries (default: record the delay and go on at once). */
  realSleep?: boolean
}

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** Run `cleanup` after the current test (after the apps started later are closed). */
export function afterThisTest(cleanup: () => Promise<void>): void {
  cleanups.push(cleanup)
}

/**
 * A folder of this test's own as `os.tmpdir()` (TMPDIR) until the test ends, so that the spool
 * folder of a proxy app started after it can be found (other test files run at the same time).
 */
export function useOwnTmpdir(): string {
  const previous = process.env.TMPDIR
  const dir = mkdtempSync(join(tmpdir(), 'sfp-proxy-test-'))
  process.env.TMPDIR = dir
  cleanups.push(async () => {
    if (previous === undefined) delete process.env.TMPDIR
    else process.env.TMPDIR = previous
    await rm(dir, { recursive: true, force: true })
  })
  return dir
}

/** The spool folders (`sfp-spool-*`) in `dir`, each with the files it holds. */
export function spoolFolders(dir: string): { name: string; files: string[] }[] {
  return readdirSync(dir)
    .filter((name) => name.startsWith('sfp-spool-'))
    .map((name) => ({ name, files: readdirSync(join(dir, name)) }))
}

/** Poll `check` every few ms until it is true; fail after `timeoutMs`. */
export async function until(
  check: () => boolean,
  timeoutMs = 2000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

/**
 * A bare Fastify app with the proxy plugins and a fake dispatch, in front of the mock upstream;
 * both on real sockets, closed (with the lanes' dispatchers) after the test.
 */
export async function startProxyApp(options: ProxyTestOptions = {}): Promise<ProxyTestApp> {
  const upstream = await startMockUpstream({ sseIntervalMs: 1, ...options.upstream })
  const dispatch = new FakeDispatch(options.lanes)
  const records: ProxyRequestRecord[] = []
  const sleeps: number[] = []
  const app = Fastify({
    logger: false,
    genReqId: () => randomUUID(),
    requestTimeout: 0,
    trustProxy: options.trustProxy ?? false,
  })
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id)
  })
  // A stand-in for the dispatch plugin the proxy depends on; the fake is handed over as an option.
  await app.register(clockPlugin)
  await app.register(fp(async () => {}, { name: 'dispatch' }))
  await app.register(proxyPlugin, {
    dispatch,
    settings: {
      upstreamBaseUrl: upstream.url,
      upstreamRetries: 2,
      upstreamConnectTimeoutMs: 2000,
      upstreamHeadersTimeoutMs: 5000,
      upstreamBodyIdleTimeoutMs: 5000,
      bodyLimitBytes: 1024 * 1024,
      clientBodyIdleTimeoutMs: 5000,
      ...options.settings,
    },
    verifyClientKey: (presented) =>
      presented === CLIENT_KEY ? { clientKeyId: CLIENT_KEY_ID } : undefined,
    onComplete: (record) => records.push(record),
    retry: options.retry,
    ...(options.realSleep
      ? {}
      : {
          sleep: async (ms: number, signal: AbortSignal) => {
            sleeps.push(ms)
            signal.throwIfAborted()
          },
        }),
  })
  await app.register(proxyRoutes, { prefix: '/v1' })
  await app.register(proxyRoutes, { prefix: '/api/proxy' })
  await app.listen({ port: 0, host: '127.0.0.1' })
  cleanups.push(async () => {
    await app.close()
    await dispatch.close()
    await upstream.close()
  })
  const { port } = app.server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    app,
    upstream,
    dispatch,
    records,
    sleeps,
    async waitForRecords(count) {
      await until(() => records.length >= count, 2000, `${count} records`)
      return records
    },
  }
}

/** Headers of a client request with the test client key. */
export function clientHeaders(extra: Record<string, string> = {}): Record<string, string> {
  return { authorization: `Bearer ${CLIENT_KEY}`, ...extra }
}

export const CHAT = {
  model: 'Qwen/Qwen2.5-7B-Instruct',
  messages: [{ role: 'user' as const, content: 'hi there' }],
}
