import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const PREFIX = 'sfp-spool-'

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: alive, someone else's.
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * A folder of this process's own for spooled uploads (`sfp-spool-<pid>-XXXXXX` in the system's
 * temp directory), so instances sharing a host never touch each other's files. Folders of
 * processes that died without closing (a crash, SIGKILL) are removed here, with what they held.
 */
export function createSpoolFolder(): string {
  const base = tmpdir()
  let names: string[] = []
  try {
    names = readdirSync(base)
  } catch {
    // An unreadable temp directory: mkdtemp below says whether it is usable.
  }
  for (const name of names) {
    const pid = Number(/^sfp-spool-(\d+)-/.exec(name)?.[1])
    if (!Number.isInteger(pid) || pid === process.pid || isAlive(pid)) continue
    rmSync(join(base, name), { recursive: true, force: true })
  }
  return mkdtempSync(join(base, `${PREFIX}${process.pid}-`))
}
