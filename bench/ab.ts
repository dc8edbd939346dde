/**
 * `pnpm --filter @sfp/bench ab <root A> <root B>`: two builds of the server (two checkouts, each
 * built) side by side on one look-alike, for a change too small for `pnpm bench` to resolve on a
 * busy machine. Both run at once; bursts of the closed loop of scenario 2 (10 connections, 1 s)
 * alternate between them, the order switched every round, so that both meet the same load, each
 * burst followed by a pause counted in its server's CPU (what a burst leaves behind). Per
 * server: CPU per request (/proc) with its main thread's part, and write system calls per request
 * (a count, which no load moves); and the ratio B / A of the CPU per request, per round (median)
 * and in total, and of the main thread's in total.
 * `--b-setting NAME=VALUE` (repeatable) starts B with that setting too: with the same root twice,
 * what one behaviour costs (`--b-setting AUTO_QUERY_BALANCE_AFTER_CALLS=0`, say).
 * See bench/README.md "Profile".
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { availableParallelism, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { startMockUpstream } from '@sfp/test-support/upstream'
import { chatCompletion, closedLoop, poolFor } from './lib/load.js'
import { cpuTimeMs, mainThreadCpuTimeMs, pinToCpus, writeSyscalls } from './lib/processes.js'
import { median } from './lib/stats.js'
import { startProductionServer } from './targets/production-server.js'

const args = process.argv.slice(2)
const option = (name: string, fallback: number) => {
  const at = args.indexOf(name)
  return at === -1 ? fallback : Number(args[at + 1])
}
const roots = args.filter((arg, i) => !arg.startsWith('--') && !args[i - 1]?.startsWith('--'))
const bSettings = Object.fromEntries(
  args
    .filter((_, i) => args[i - 1] === '--b-setting')
    .map((setting) => {
      const at = setting.indexOf('=')
      return [setting.slice(0, at), setting.slice(at + 1)]
    }),
)
if (roots.length !== 2 || Object.keys(bSettings).some((name) => !/^[A-Z][A-Z0-9_]*$/.test(name))) {
  console.error(
    'usage: ab.ts <root A> <root B> [--rounds 24] [--connections 10] [--burst-ms 1000] [--settle-ms 500] [--b-setting NAME=VALUE ...]',
  )
  process.exit(2)
}
const rounds = option('--rounds', 24)
const connections = option('--connections', 10)
const burstMs = option('--burst-ms', 1000)
/** Idle after each burst, counted in that side's CPU: its GC and writes behind are its own. */
const settleMs = option('--settle-ms', 500)
const WARMUP_MS = 3000
const UPSTREAM_KEY = 'sk-bench-upstream-key-0001'

const workDir = mkdtempSync(join(tmpdir(), 'sfp-bench-ab-'))
const upstream = await startMockUpstream({
  accounts: { [UPSTREAM_KEY]: { totalBalance: '1000000.00' } },
})
const sides = []
try {
  for (const [index, root] of roots.entries()) {
    const server = await startProductionServer({
      name: `ab-${'AB'[index]}`,
      root: resolve(root),
      upstreamUrl: upstream.url,
      upstreamKey: UPSTREAM_KEY,
      settings: {
        DISPATCH_CONCURRENCY: '1024',
        DISPATCH_QUEUE_MAX: '20000',
        ...(index === 1 ? bSettings : {}),
      },
      workDir,
    })
    const pool = poolFor(server.target, connections)
    sides.push({
      root,
      server,
      pool,
      cpuMs: 0,
      mainMs: 0,
      writes: 0,
      answered: 0,
      roundCpuUs: [] as number[],
    })
  }
  // Both servers on the last CPU, this process (load and look-alike) on the others: pinToCpus.
  const last = availableParallelism() - 1
  const pinned =
    !args.includes('--no-pin') &&
    last >= 1 &&
    sides.every((side) => pinToCpus(side.server.process.pid, String(last))) &&
    pinToCpus(process.pid, last === 1 ? '0' : `0-${last - 1}`)
  console.log(pinned ? `servers pinned to CPU ${last}, the load to the others` : 'not pinned')
  for (const side of sides) {
    await closedLoop(side.pool, connections, WARMUP_MS, chatCompletion(side.server.target))
  }
  for (let round = 0; round < rounds; round += 1) {
    for (const side of round % 2 === 0 ? sides : [...sides].reverse()) {
      const pid = side.server.process.pid
      const [cpuBefore, writesBefore] = [cpuTimeMs(pid), writeSyscalls(pid)]
      const mainBefore = mainThreadCpuTimeMs(pid)
      const load = await closedLoop(
        side.pool,
        connections,
        burstMs,
        chatCompletion(side.server.target),
      )
      await sleep(settleMs)
      const cpuMs = cpuTimeMs(pid) - cpuBefore
      side.cpuMs += cpuMs
      side.mainMs += mainThreadCpuTimeMs(pid) - mainBefore
      side.writes += writeSyscalls(pid) - writesBefore
      side.answered += load.ok
      side.roundCpuUs.push((cpuMs * 1000) / load.ok)
    }
  }
  const [a, b] = sides
  if (a === undefined || b === undefined) throw new Error('two servers expected')
  for (const [name, side] of [
    ['A', a],
    ['B', b],
  ] as const) {
    const cpuUs = ((side.cpuMs * 1000) / side.answered).toFixed(0)
    const mainUs = ((side.mainMs * 1000) / side.answered).toFixed(0)
    const writes = (side.writes / side.answered).toFixed(2)
    const extra =
      name === 'B' && Object.keys(bSettings).length > 0 ? ` ${JSON.stringify(bSettings)}` : ''
    console.log(
      `${name} ${side.root}${extra}: ${side.answered} answers, CPU ${cpuUs} µs/request (main thread ${mainUs}), ${writes} write syscalls/request`,
    )
  }
  const ratios = b.roundCpuUs.map((cpuUs, round) => cpuUs / (a.roundCpuUs[round] ?? Number.NaN))
  const total = b.cpuMs / b.answered / (a.cpuMs / a.answered)
  const mainTotal = b.mainMs / b.answered / (a.mainMs / a.answered)
  console.log(
    `CPU per request B / A: ${total.toFixed(3)} in total, ${median(ratios).toFixed(3)} per round (median of ${rounds}); main thread ${mainTotal.toFixed(3)} in total`,
  )
} finally {
  for (const side of sides) {
    await side.pool.close()
    await side.server.process.stop()
  }
  await upstream.close()
  rmSync(workDir, { recursive: true, force: true })
}
