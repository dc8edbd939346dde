import { join } from 'node:path'
import { PROBE, type ProbeClient, probeClient } from '../lib/probe.js'
import { type BenchChild, freePort, startChild, waitUntilServing } from '../lib/processes.js'
import { BENCH_DIR } from '../lib/repo.js'
import type { Target } from './target.js'

const BASELINE_APP = join(BENCH_DIR, 'targets/baseline-app.ts')

/**
 * The @fastify/http-proxy baseline in its own process, as the proxy runs in its own, with the
 * same probe preloaded: its event-loop delay under the same load is the comparison.
 */
export async function startBaseline(
  upstreamUrl: string,
  upstreamKey: string,
  workDir: string,
  /** Extra `node` flags, as the proxy's (`--stages` preloads the stage probe into both). */
  nodeArgs: readonly string[] = [],
): Promise<{ target: Target; process: BenchChild; probe: ProbeClient }> {
  const port = await freePort()
  const child = startChild({
    name: 'baseline',
    command: process.execPath,
    // tsx resolves from bench/, where it is installed.
    args: [...nodeArgs, '--import', 'tsx', '--import', PROBE, BASELINE_APP],
    cwd: BENCH_DIR,
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'production',
      PORT: String(port),
      BENCH_UPSTREAM_URL: upstreamUrl,
    },
    logFile: join(workDir, 'baseline.log'),
    ipc: true,
  })
  const origin = `http://127.0.0.1:${port}`
  await waitUntilServing(`${origin}/healthz`, child)
  return {
    target: { name: 'baseline', origin, authorization: `Bearer ${upstreamKey}`, pid: child.pid },
    process: child,
    probe: probeClient(child),
  }
}
