import { cpus } from 'node:os'
import { type Figure, formatNumber } from './figures.js'

export interface Machine {
  cores: number
  cpu: string
  node: string
  platform: string
}

export function describeMachine(): Machine {
  const list = cpus()
  return {
    cores: list.length,
    cpu: list[0]?.model.trim() ?? 'unknown',
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
  }
}

export interface RunContext {
  machine: Machine
  date: string
  /** 1-minute load average when the run started: above the core count, others shared the CPUs. */
  loadBefore: number
}

/** The result table in Markdown, so it can be pasted into the README as printed. */
export function formatTable(figures: readonly Figure[], context: RunContext): string {
  const { machine, date, loadBefore } = context
  const lines = [
    `Machine: ${machine.cores} cores (${machine.cpu}), Node ${machine.node}, ${machine.platform};` +
      ` load average ${loadBefore.toFixed(2)} at start; ${date}`,
    '',
    '| scenario | figure | value | target | result |',
    '| --- | --- | --: | --- | --- |',
  ]
  for (const row of figures) {
    const value = `${formatNumber(row.value)} ${row.unit}`.trim()
    lines.push(
      `| ${row.scenario} | ${row.name} | ${value} | ${row.target ?? ''} | ${row.verdict === 'info' ? '' : row.verdict} |`,
    )
  }
  const targeted = figures.filter((row) => row.verdict !== 'info')
  const missed = targeted.filter((row) => row.verdict === 'MISSED')
  lines.push(
    '',
    `${targeted.length - missed.length} of ${targeted.length} targets met` +
      (missed.length > 0 ? `; MISSED: ${missed.map((row) => row.name).join('; ')}` : ''),
  )
  return lines.join('\n')
}
