import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { DATABASE_FILE } from '@sfp/db'
import type { MockUpstream } from '@sfp/test-support/upstream'
import { expect, it } from 'vitest'
import { tempDataDir } from '../helpers/test-app.js'
import { AdminWriteModel, readServerKeys, seededRandom } from './admin-write-model.js'
import {
  adminFetch,
  CHILD_UPSTREAM_KEY,
  preloadChildServer,
  startChildServer,
  startUpstream,
} from './child-server.js'
import {
  type CompletedRequest,
  inspectDatabaseFile,
  runAdminWriter,
  runProxyLoad,
} from './crash-load.js'

export interface CrashLaneOptions {
  upstream: MockUpstream
  kills: number
  seed: number
  /** Load runs this long (uniformly at random) before the SIGKILL. */
  killAfterMs: { min: number; max: number }
  env: Record<string, string>
}

/** What one kill showed, for the figures of the report. */
export interface KillRecord {
  killAfterMs: number
  /** Admin changes acknowledged (2xx received) in this life. */
  acknowledgedChanges: number
  /** Changes sent but not acknowledged when the kill came (either outcome is allowed). */
  changesInDoubt: number
  proxiedCompleted: number
  /** Proxied requests the client received in full whose request log row the crash lost. */
  requestLogRowsLost: number
  /** From "start" to listening again (modules were loaded before the kill). */
  restartMs: number
  /** The restarted server's key in use was one a writer activated (not the traffic's own key). */
  activatedKeyInUse: boolean
}

/**
 * One data folder, killed again and again: start the server, put it under admin writes (two
 * writers) and proxied traffic (two clients), SIGKILL it at a random moment, check that every
 * call answered before the kill was answered with a 2xx, check the file the crash left, restart,
 * and compare every key, client key and the key in use with what the admin API acknowledged.
 * The restarted server's state is then the truth the next life starts from.
 */
export async function runCrashLane(options: CrashLaneOptions): Promise<KillRecord[]> {
  const { upstream, kills, env } = options
  const random = seededRandom(options.seed)
  const dataDir = tempDataDir()
  const databasePath = join(dataDir, DATABASE_FILE)
  const model = new AdminWriteModel(CHILD_UPSTREAM_KEY)
  const records: KillRecord[] = []
  let server = await startChildServer(upstream, env, dataDir)
  // The key the proxied traffic uses; the writers never touch it.
  const anchor = new Map([[CHILD_UPSTREAM_KEY, { label: 'anchor', enabled: true }]])
  const added = await model.changeKeys(anchor, () =>
    adminFetch(server.url, '/api-keys', {
      method: 'POST',
      body: JSON.stringify({ api_key: CHILD_UPSTREAM_KEY, label: 'anchor' }),
    }),
  )
  expect(added).toBe(true)

  for (let kill = 0; kill < kills; kill++) {
    const { url } = server
    const context = `seed ${options.seed}, kill ${kill}`
    let stopped = false
    const isStopped = () => stopped
    const completed: CompletedRequest[] = []
    const proxyRefusals: string[] = []
    const acknowledgedBefore = model.acknowledgedChanges
    // The next life loads meanwhile; it touches the database only once started, after the kill.
    const nextLife = preloadChildServer(upstream, env, dataDir)
    const writer = (name: string) =>
      runAdminWriter({ url, model, random, prefix: `${name}k${kill}`, stopped: isStopped })
    const load = Promise.all([
      writer('a'),
      writer('b'),
      runProxyLoad(url, isStopped, completed, proxyRefusals),
      runProxyLoad(url, isStopped, completed, proxyRefusals),
    ])
    const { min, max } = options.killAfterMs
    const killAfterMs = min + Math.floor(random() * (max - min))
    // The random moment is the point of the test; the wait is well under a second.
    await sleep(killAfterMs)
    stopped = true
    server.process.child.kill('SIGKILL')
    expect(await server.process.exited).toEqual({ code: null, signal: 'SIGKILL' })
    await load
    // A writer stops at its first refusal and leaves that change in doubt: without this, a 5xx
    // (or any other refusal) answered before the kill would pass for the kill's doing.
    expect(model.refusals, `${context}: admin calls refused`).toEqual([])
    expect(proxyRefusals, `${context}: proxied requests refused`).toEqual([])

    // The file exactly as the crash left it (WAL and all), before any restart touches it.
    const crashed = inspectDatabaseFile(databasePath)
    expect(crashed.integrity, `${context}: integrity after the crash`).toBe('ok')

    const restartedAt = Date.now()
    server = await nextLife.start()
    const restartMs = Date.now() - restartedAt
    const actual = await readServerKeys(server.url)
    expect(model.compare(actual), `${context} after ${killAfterMs} ms`).toEqual([])
    const live = inspectDatabaseFile(databasePath)
    expect(live.integrity, `${context}: integrity after the restart`).toBe('ok')

    records.push({
      killAfterMs,
      acknowledgedChanges: model.acknowledgedChanges - acknowledgedBefore,
      changesInDoubt: model.keys.maybe.size + model.clientKeys.maybe.size,
      proxiedCompleted: completed.length,
      requestLogRowsLost: completed.filter(({ requestId }) => !crashed.loggedIds.has(requestId))
        .length,
      restartMs,
      activatedKeyInUse: actual.current !== null && actual.current !== CHILD_UPSTREAM_KEY,
    })
    model.adopt(actual)
  }

  server.process.child.kill('SIGTERM')
  expect(await server.process.exited).toEqual({ code: 0, signal: null })
  return records
}

/** Checks that the kills came under load, and the figures for the report. */
export function summarize(records: KillRecord[], startedAt: number): Record<string, number> {
  const sum = (pick: (record: KillRecord) => number) => records.reduce((s, r) => s + pick(r), 0)
  const acknowledgedChanges = sum((record) => record.acknowledgedChanges)
  // Changes were acknowledged right up to the kills, and proxied traffic was flowing.
  expect(acknowledgedChanges).toBeGreaterThan(records.length * 5)
  const killsWithProxiedTraffic = records.filter((record) => record.proxiedCompleted > 0).length
  // Loose on purpose: a kill can come before the first completion, more often on a busy machine.
  expect(killsWithProxiedTraffic).toBeGreaterThanOrEqual(records.length / 4)
  // Activations were acknowledged before kills: the key in use was checked against one of them.
  const activatedKeyInUse = records.filter((record) => record.activatedKeyInUse).length
  expect(activatedKeyInUse).toBeGreaterThan(0)
  const restarts = records.map((record) => record.restartMs).sort((a, b) => a - b)
  return {
    kills: records.length,
    totalMs: Date.now() - startedAt,
    acknowledgedChanges,
    killsWithAChangeInDoubt: records.filter((record) => record.changesInDoubt > 0).length,
    proxiedCompleted: sum((record) => record.proxiedCompleted),
    requestLogRowsLost: sum((record) => record.requestLogRowsLost),
    killsWithProxiedTraffic,
    killsWithAnActivatedKeyInUse: activatedKeyInUse,
    restartMsMedian: restarts[Math.floor(restarts.length / 2)] ?? 0,
    restartMsMax: restarts.at(-1) ?? 0,
  }
}

/**
 * The test of one crash lane: `kills` SIGKILLs under load against a fresh look-alike upstream,
 * each followed by the checks of `runCrashLane`, then the figures as an annotation.
 */
export function crashLaneTest(
  options: Omit<CrashLaneOptions, 'upstream' | 'killAfterMs'>,
  timeoutMs = 90_000,
): void {
  it(
    `keeps every acknowledged key change and an intact database across ${options.kills} kills`,
    async ({ annotate }) => {
      const startedAt = Date.now()
      const records = await runCrashLane({
        ...options,
        upstream: await startUpstream(1),
        killAfterMs: { min: 20, max: 700 },
      })
      expect(records).toHaveLength(options.kills)
      await annotate(`crash figures ${JSON.stringify(summarize(records, startedAt))}`)
    },
    timeoutMs,
  )
}
