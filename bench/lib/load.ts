import { type Dispatcher, Pool } from 'undici'
import type { Target } from '../targets/target.js'
import { type Summary, summarize } from './stats.js'

export const CHAT_MODEL = 'Qwen/Qwen2.5-7B-Instruct'

/**
 * A chat completion, by default a small one, the proxy's most common request; `stream` asks for
 * SSE; `prompt` replaces the user's message.
 */
export function chatCompletion(
  target: Target,
  stream = false,
  prompt = 'benchmark one two three four',
): Dispatcher.RequestOptions {
  return {
    method: 'POST',
    path: '/v1/chat/completions',
    headers: { authorization: target.authorization, 'content-type': 'application/json' },
    body: JSON.stringify({
      model: CHAT_MODEL,
      messages: [{ role: 'user', content: prompt }],
      ...(stream ? { stream: true } : {}),
    }),
  }
}

const CHINESE_SENTENCE =
  '请根据上文总结要点，并用简体中文回答：长上下文、标点符号和 English words 混排。'

/** About `kilobytes` KB (UTF-8) of Chinese text, as a long conversation's prompt carries. */
export function longChinesePrompt(kilobytes: number): string {
  const times = Math.ceil((kilobytes * 1000) / Buffer.byteLength(CHINESE_SENTENCE))
  return CHINESE_SENTENCE.repeat(times)
}

/** A keep-alive pool of `connections` sockets to the target, one request per socket at a time. */
export function poolFor(target: Target, connections: number): Pool {
  return new Pool(target.origin, { connections, pipelining: 1 })
}

/** Milliseconds from sending a request to its first body byte; throws unless 200. */
export async function timeToFirstByte(
  pool: Pool,
  request: Dispatcher.RequestOptions,
): Promise<number> {
  const start = performance.now()
  const { statusCode, body } = await pool.request(request)
  let firstByteAt = Number.NaN
  for await (const _chunk of body) {
    if (Number.isNaN(firstByteAt)) firstByteAt = performance.now()
  }
  if (statusCode !== 200) throw new Error(`status ${statusCode}`)
  return firstByteAt - start
}

export interface LoadResult {
  ok: number
  errors: number
  elapsedMs: number
  /** Latency of each successful request, whole body read. */
  latenciesMs: number[]
  /** CPU the target's process used meanwhile, when it is a child of the bench. */
  targetCpuMs?: number
  /** Of which its main thread's (a Node target's JavaScript; not measured for nginx). */
  targetMainThreadCpuMs?: number
}

/**
 * Closed loop: `connections` clients each send the next request as soon as the previous answer
 * is read, until `durationMs` has passed.
 */
export async function closedLoop(
  pool: Pool,
  connections: number,
  durationMs: number,
  request: Dispatcher.RequestOptions,
): Promise<LoadResult> {
  const latenciesMs: number[] = []
  let errors = 0
  const start = performance.now()
  const deadline = start + durationMs
  const client = async () => {
    while (performance.now() < deadline) {
      const sentAt = performance.now()
      try {
        const { statusCode, body } = await pool.request(request)
        await body.arrayBuffer()
        if (statusCode === 200) latenciesMs.push(performance.now() - sentAt)
        else errors += 1
      } catch {
        errors += 1
      }
    }
  }
  await Promise.all(Array.from({ length: connections }, client))
  return { ok: latenciesMs.length, errors, elapsedMs: performance.now() - start, latenciesMs }
}

export interface LoadSummary {
  requestsPerSecond: number
  errors: number
  latency: Summary
  /** The target process's CPU time per answered request (NaN when not measured). */
  cpuMsPerRequest: number
  /** Of which its main thread's (NaN when not measured). */
  mainThreadCpuMsPerRequest: number
}

/** Several runs of one target taken together: total answers over total time. */
export function combineRuns(runs: readonly LoadResult[]): LoadSummary {
  const ok = runs.reduce((sum, run) => sum + run.ok, 0)
  const elapsedMs = runs.reduce((sum, run) => sum + run.elapsedMs, 0)
  const cpuMs = runs.reduce((sum, run) => sum + (run.targetCpuMs ?? Number.NaN), 0)
  const mainMs = runs.reduce((sum, run) => sum + (run.targetMainThreadCpuMs ?? Number.NaN), 0)
  return {
    requestsPerSecond: elapsedMs > 0 ? (ok * 1000) / elapsedMs : 0,
    errors: runs.reduce((sum, run) => sum + run.errors, 0),
    latency: summarize(runs.flatMap((run) => run.latenciesMs)),
    cpuMsPerRequest: cpuMs / ok,
    mainThreadCpuMsPerRequest: mainMs / ok,
  }
}

/** The targets in a different order each round, so none always runs first (or right after GC). */
export function rotated<T>(items: readonly T[], round: number): T[] {
  const shift = round % items.length
  return [...items.slice(shift), ...items.slice(0, shift)]
}
