import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createSpoolFolder } from '../src/spool-folder.js'

const saved = process.env.TMPDIR
let base = ''
afterEach(() => {
  process.env.TMPDIR = saved
  rmSync(base, { recursive: true, force: true })
})

describe('createSpoolFolder', () => {
  it('makes a folder of its own and removes those of processes that died', () => {
    base = mkdtempSync(join(tmpdir(), 'sfp-spool-test-'))
    process.env.TMPDIR = base
    const deadPid = spawnSync(process.execPath, ['-e', '']).pid
    const dead = join(base, `sfp-spool-${deadPid}-abc123`)
    mkdirSync(dead)
    writeFileSync(join(dead, 'upload-left-behind'), 'x')
    const alive = join(base, `sfp-spool-${process.ppid}-def456`)
    mkdirSync(alive)
    const other = join(base, 'sfp-spool-unrelated')
    mkdirSync(other)
    const own = createSpoolFolder()
    expect(own.startsWith(join(base, `sfp-spool-${process.pid}-`))).toBe(true)
    expect(existsSync(own)).toBe(true)
    expect(existsSync(dead)).toBe(false)
    expect(existsSync(alive)).toBe(true)
    expect(existsSync(other)).toBe(true)
  })
})
