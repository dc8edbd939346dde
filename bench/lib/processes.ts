import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { closeSync, openSync, readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'

/** A process started by the bench: its output goes to `logFile`, never to a pipe that could fill. */
export interface BenchChild {
  name: string
  child: ChildProcess
  pid: number
  logFile: string
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it exited. */
  stop(graceMs?: number): Promise<void>
}

export interface StartChildOptions {
  name: string
  command: string
  args: string[]
  cwd: string
  env: NodeJS.ProcessEnv
  logFile: string
  /** Open an IPC channel (the event-loop probe answers through it). */
  ipc?: boolean
}

export function startChild(options: StartChildOptions): BenchChild {
  const { name, command, args, cwd, env, logFile, ipc = false } = options
  const fd = openSync(logFile, 'a')
  const stdio = ipc ? ['ignore', fd, fd, 'ipc'] : ['ignore', fd, fd]
  const child = spawn(command, args, { cwd, env, stdio: stdio as ('ignore' | number)[] })
  closeSync(fd)
  const pid = child.pid
  if (pid === undefined) throw new Error(`${name} did not start (see ${logFile})`)
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  return {
    name,
    child,
    pid,
    logFile,
    async stop(graceMs = 5000) {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
      await exited
      clearTimeout(timer)
    },
  }
}

/** A port free right now on loopback (the child binds it a moment later). */
export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  if (address === null || typeof address === 'string') throw new Error('no port')
  return address.port
}

/** Poll `url` until it answers 2xx, or fail with the end of the child's log. */
export async function waitUntilServing(url: string, child: BenchChild, timeoutMs = 20_000) {
  const deadline = performance.now() + timeoutMs
  while (performance.now() < deadline) {
    if (child.child.exitCode !== null) break
    try {
      const response = await fetch(url)
      await response.arrayBuffer()
      if (response.ok) return
    } catch {
      // not listening yet
    }
    await sleep(50)
  }
  const log = readFileSync(child.logFile, 'utf8').split('\n').slice(-20).join('\n')
  throw new Error(`${child.name} is not serving ${url}:\n${log}`)
}

/** Resident set size of a process, from /proc/<pid>/status (Linux), in bytes. */
export function residentBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kib = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status)?.[1]
  if (kib === undefined) throw new Error(`no VmRSS for pid ${pid}`)
  return Number(kib) * 1024
}

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100

/** User + system time in /proc's `stat` format (fields after the parenthesized name), in ms. */
function statCpuMs(path: string): number {
  const stat = readFileSync(path, 'utf8')
  // Fields after the command name, which is in parentheses and may contain spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND
}

/**
 * CPU time (user + system) a process and its children (nginx's worker) have used so far, from
 * /proc, in ms (10 ms resolution). Unlike a wall-clock rate, CPU per request holds up on a
 * machine that is busy with other work.
 */
export function cpuTimeMs(pid: number): number {
  const own = statCpuMs(`/proc/${pid}/stat`)
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
    .split(' ')
    .filter(Boolean)
    .map(Number)
  return children.reduce((sum, child) => sum + cpuTimeMs(child), own)
}

/**
 * The part of `cpuTimeMs` spent on a Node process's main thread (its JavaScript), without V8's
 * helper threads (concurrent and parallel GC, compilers) or libuv's pool. The main thread is
 * what one process's throughput is bound by: a server whose GC runs beside it on another core
 * serves more per second for the same total CPU (bench/README.md "Ninth pass").
 */
export function mainThreadCpuTimeMs(pid: number): number {
  return statCpuMs(`/proc/${pid}/task/${pid}/stat`)
}

/**
 * Keep every thread of a process (`pid`) on the CPUs of `cpus` (taskset's list: `1`, `0-2`);
 * false where taskset is missing or refuses. Two servers that take turns under load, pinned to one CPU while the load
 * runs on the other, meet the same machine: unpinned, the scheduler's placement made one of two
 * identical servers measure 7–8 % less CPU per request than the other (bench/README.md, `ab.ts`).
 */
export function pinToCpus(pid: number, cpus: string): boolean {
  try {
    execFileSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

/**
 * Write system calls (`write`, `writev`...) a process has made so far (`syscw` of /proc/<pid>/io):
 * a count, which unlike a time does not move with the load of the machine.
 */
export function writeSyscalls(pid: number): number {
  const io = readFileSync(`/proc/${pid}/io`, 'utf8')
  return Number(/^syscw: (\d+)$/m.exec(io)?.[1] ?? Number.NaN)
}
