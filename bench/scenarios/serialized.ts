import {
  FAIR_QUEUE_FACTOR,
  HANDOFF_P99_TARGET_MS,
  HEAP_TARGET_MB,
  measureSlotGate,
} from '../../packages/dispatch/bench/lane-queue.bench.js'
import { type Figure, figure } from '../lib/figures.js'
import { rounded } from '../lib/stats.js'

export const SCENARIO = '4 serialized'

/**
 * The slot gate on its own (packages/dispatch/bench): heap of 10,000 queued waiters above idle
 * and release → next-holder hand-off. Run first, while this process is otherwise quiet.
 */
export async function measureGate(
  waiters: number,
): Promise<{ figures: Figure[]; details: Record<string, unknown> }> {
  const result = await measureSlotGate({ waiters, handoffs: waiters })
  const figures = [
    figure(SCENARIO, `gate: heap above idle, ${waiters} queued`, result.heapAboveIdleMb, 'MB', {
      op: '<=',
      limit: HEAP_TARGET_MB,
    }),
    figure(SCENARIO, 'gate: release → next start p99', result.handoffP99Ms, 'ms', {
      op: '<=',
      limit: HANDOFF_P99_TARGET_MS,
    }),
    // The fair queue (README of packages/dispatch): the same from 100 client keys, in turn.
    figure(
      SCENARIO,
      `gate: heap above idle, ${waiters} queued from ${result.fairClients} client keys`,
      result.fairHeapAboveIdleMb,
      'MB',
      {
        op: '<=',
        limit: FAIR_QUEUE_FACTOR * result.heapAboveIdleMb,
        text: `<= ${FAIR_QUEUE_FACTOR}× one client's`,
      },
    ),
    figure(
      SCENARIO,
      `gate: release → next start p99, ${result.fairClients} client keys in turn`,
      result.fairHandoffP99Ms,
      'ms',
      {
        op: '<=',
        limit: FAIR_QUEUE_FACTOR * result.handoffP99Ms,
        text: `<= ${FAIR_QUEUE_FACTOR}× one client's`,
      },
    ),
  ]
  return {
    figures,
    details: {
      heapAboveIdleMb: rounded(result.heapAboveIdleMb, 2),
      handoffP50Us: rounded(result.handoffP50Ms * 1000, 2),
      handoffP99Us: rounded(result.handoffP99Ms * 1000, 2),
      fairHeapAboveIdleMb: rounded(result.fairHeapAboveIdleMb, 2),
      fairHandoffP50Us: rounded(result.fairHandoffP50Ms * 1000, 2),
      fairHandoffP99Us: rounded(result.fairHandoffP99Ms * 1000, 2),
    },
  }
}
