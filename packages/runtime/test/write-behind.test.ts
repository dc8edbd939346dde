import { createManualClock } from '@sfp/test-support'
import { describe, expect, it } from 'vitest'
import { createWriteBehind, type WriteBehindOptions } from '../src/write-behind.js'

interface Patch {
  id: number
  fields: Record<string, number>
}

const byRow = {
  keyOf: (patch: Patch) => patch.id,
  merge: (older: Patch, newer: Patch) => ({
    id: newer.id,
    fields: { ...older.fields, ...newer.fields },
  }),
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve))

function harness<T>(overrides: Partial<WriteBehindOptions<T>> = {}) {
  const clock = createManualClock()
  const batches: T[][] = []
  const errors: number[] = []
  const buffer = createWriteBehind<T>({
    write: (batch) => {
      batches.push(batch)
    },
    clock,
    flushIntervalMs: 1000,
    maxBatch: 3,
    maxQueued: 10,
    onError: (_error, items) => errors.push(items),
    ...overrides,
  })
  return { clock, batches, errors, buffer }
}

describe('write-behind', () => {
  it('writes queued items once the flush interval has passed, not before', () => {
    const { clock, batches, buffer } = harness<number>()
    buffer.add(1)
    buffer.add(2)
    clock.advance(999)
    expect(batches).toEqual([])
    clock.advance(1)
    expect(batches).toEqual([[1, 2]])
    expect(buffer.pending()).toBe(0)
    // Nothing queued: no timer left running.
    expect(clock.pendingTimers()).toBe(0)
  })

  it('once a full batch waits, writes the queue a batch per turn of the event loop, without the timer', async () => {
    const { batches, buffer } = harness<number>()
    for (const n of [1, 2, 3, 4]) buffer.add(n)
    await nextTurn()
    expect(batches).toEqual([[1, 2, 3]])
    expect(buffer.pending()).toBe(1)
    await nextTurn()
    expect(batches).toEqual([[1, 2, 3], [4]])
  })

  it('keeps draining a batch per turn with an asynchronous writer (PostgreSQL), not one per interval', async () => {
    const batches: number[][] = []
    const { clock, buffer } = harness<number>({
      write: async (batch) => {
        batches.push(batch)
      },
    })
    for (const n of [1, 2, 3, 4, 5, 6, 7]) buffer.add(n)
    for (let turn = 0; turn < 5 && buffer.pending() > 0; turn++) await nextTurn()
    expect(batches).toEqual([[1, 2, 3], [4, 5, 6], [7]])
    // Every write finished: the next item starts the interval again, nothing is left "writing".
    buffer.add(8)
    clock.advance(1000)
    await nextTurn()
    expect(batches.at(-1)).toEqual([8])
  })

  it('catchUp with an asynchronous writer does not wait for items queued during its writes', async () => {
    const batches: number[][] = []
    const { buffer } = harness<number>({
      write: async (batch) => {
        batches.push(batch)
      },
    })
    buffer.add(1)
    buffer.add(2)
    const reading = buffer.catchUp()
    buffer.add(3) // arrives while the write of 1 and 2 is under way
    await reading
    expect(batches).toEqual([[1, 2]])
    expect(buffer.pending()).toBe(1)
  })

  it('merges patches of one row in place, newer fields winning, and forgets a discarded row', () => {
    const { clock, batches, buffer } = harness<Patch>({ coalesce: byRow })
    buffer.add({ id: 1, fields: { calls: 1, at: 10 } })
    buffer.add({ id: 2, fields: { calls: 1 } })
    buffer.add({ id: 1, fields: { calls: 2 } })
    buffer.add({ id: 3, fields: { calls: 1 } })
    buffer.discard(3)
    expect(buffer.queued(1)).toEqual({ id: 1, fields: { calls: 2, at: 10 } })
    clock.advance(1000)
    expect(batches).toEqual([
      [
        { id: 1, fields: { calls: 2, at: 10 } },
        { id: 2, fields: { calls: 1 } },
      ],
    ])
  })

  it('with mergeInto, folds later patches in place into the item merge made, never into one a caller or reader holds', async () => {
    const merges: string[] = []
    const inPlace = {
      keyOf: byRow.keyOf,
      merge: (older: Patch, newer: Patch) => {
        merges.push('merge')
        return byRow.merge(older, newer)
      },
      mergeInto: (own: Patch, newer: Patch) => {
        merges.push('into')
        Object.assign(own.fields, newer.fields)
      },
    }
    const { clock, batches, buffer } = harness<Patch>({ coalesce: inPlace, maxBatch: 10 })
    const first = { id: 1, fields: { calls: 1, at: 10 } }
    const second = { id: 1, fields: { calls: 2 } }
    buffer.add(first)
    buffer.add(second)
    buffer.add({ id: 1, fields: { calls: 3 } })
    buffer.add({ id: 1, fields: { calls: 4, at: 40 } })
    expect(merges).toEqual(['merge', 'into', 'into'])
    // The callers' own objects are never written to.
    expect(first).toEqual({ id: 1, fields: { calls: 1, at: 10 } })
    expect(second).toEqual({ id: 1, fields: { calls: 2 } })
    // A reader may keep what it was shown: the next change makes a new item.
    const shown = buffer.queued(1)
    expect(shown).toEqual({ id: 1, fields: { calls: 4, at: 40 } })
    buffer.add({ id: 1, fields: { calls: 5 } })
    expect(shown).toEqual({ id: 1, fields: { calls: 4, at: 40 } })
    expect(merges.at(-1)).toBe('merge')
    clock.advance(1000)
    const written = batches.flat()
    expect(written).toEqual([{ id: 1, fields: { calls: 5, at: 40 } }])
    // Once given to the writer, an item is not changed again: a new change starts a new one.
    buffer.add({ id: 1, fields: { calls: 6 } })
    buffer.add({ id: 1, fields: { calls: 7 } })
    expect(written).toEqual([{ id: 1, fields: { calls: 5, at: 40 } }])
    await buffer.flush()
    expect(batches.flat().at(-1)).toEqual({ id: 1, fields: { calls: 7 } })
  })

  it('addNow writes the whole queue before returning when the writer is synchronous', () => {
    const { batches, buffer } = harness<number>()
    buffer.add(1)
    buffer.addNow(2)
    expect(batches.flat()).toEqual([1, 2])
  })

  it('keeps a failed batch in front of the queue, merged under newer patches, and retries after the interval', () => {
    let failing = true
    const written: Patch[][] = []
    const { clock, errors, buffer } = harness<Patch>({
      coalesce: byRow,
      write: (batch) => {
        if (failing) throw new Error('database is locked')
        written.push(batch)
      },
    })
    buffer.add({ id: 1, fields: { calls: 1, status: 0 } })
    buffer.add({ id: 2, fields: { calls: 1 } })
    clock.advance(1000)
    expect(errors).toEqual([2])
    buffer.add({ id: 1, fields: { status: 5 } })
    buffer.add({ id: 3, fields: { calls: 1 } })
    failing = false
    clock.advance(1000)
    expect(written).toEqual([
      [
        { id: 1, fields: { calls: 1, status: 5 } },
        { id: 2, fields: { calls: 1 } },
        { id: 3, fields: { calls: 1 } },
      ],
    ])
  })

  it('names the items written after a failed attempt of their row, once, and not those written first time', () => {
    let failing = true
    const landed: Patch[][] = []
    const { clock, buffer } = harness<Patch>({
      coalesce: byRow,
      write: () => {
        if (failing) throw new Error('deadlock detected')
      },
      onWrittenAfterFailure: (items) => landed.push(items),
    })
    buffer.add({ id: 1, fields: { calls: 1 } })
    buffer.add({ id: 2, fields: { calls: 1 } })
    buffer.add({ id: 3, fields: { calls: 1 } })
    clock.advance(1000)
    buffer.discard(3)
    expect(landed).toEqual([])
    failing = false
    buffer.add({ id: 1, fields: { status: 5 } })
    buffer.add({ id: 4, fields: { calls: 1 } })
    clock.advance(1000)
    // Row 3 was discarded (gone); row 4 never failed.
    expect(landed).toEqual([
      [
        { id: 1, fields: { calls: 1, status: 5 } },
        { id: 2, fields: { calls: 1 } },
      ],
    ])
    buffer.add({ id: 1, fields: { calls: 2 } })
    clock.advance(1000)
    expect(landed).toHaveLength(1)
  })

  it('drops the oldest items beyond maxQueued and counts them', () => {
    const { buffer, batches, clock } = harness<number>({
      write: () => {
        throw new Error('disk full')
      },
      maxQueued: 4,
      maxBatch: 100,
    })
    for (let n = 1; n <= 7; n++) buffer.add(n)
    expect(buffer.pending()).toBe(4)
    expect(buffer.dropped()).toBe(3)
    clock.advance(1000)
    expect(batches).toEqual([])
    expect(buffer.pending()).toBe(4)
  })

  it('flush writes everything in batches; close writes what is left and later adds write at once', async () => {
    const { clock, batches, buffer } = harness<number>()
    for (const n of [1, 2, 3, 4, 5]) buffer.add(n)
    await buffer.flush()
    expect(batches).toEqual([
      [1, 2, 3],
      [4, 5],
    ])
    buffer.add(6)
    await buffer.close()
    expect(batches.at(-1)).toEqual([6])
    expect(clock.pendingTimers()).toBe(0)
    buffer.add(7)
    expect(batches.at(-1)).toEqual([7])
  })

  it('flush waits for the write another flush started with what it found queued, and writes never overlap', async () => {
    const written: number[] = []
    let writesUnderWay = 0
    let overlapped = false
    const { buffer } = harness<Patch>({
      coalesce: byRow,
      maxBatch: 10,
      write: async (batch) => {
        writesUnderWay += 1
        overlapped ||= writesUnderWay > 1
        await new Promise((resolve) => setTimeout(resolve, 5))
        written.push(...batch.map((patch) => patch.id))
        writesUnderWay -= 1
      },
    })
    // The first is written at once; each later addNow follows the write under way (an admin's
    // bulk change), then the admin API's flush before it answers.
    buffer.addNow({ id: 1, fields: { status: 1 } })
    buffer.addNow({ id: 2, fields: { status: 1 } })
    buffer.addNow({ id: 3, fields: { status: 1 } })
    await buffer.flush()
    expect(written).toEqual([1, 2, 3])
    expect(overlapped).toBe(false)
  })

  it('flush writes what was queued when it was called and ends under steady load; the rest keeps its interval', async () => {
    let writes = 0
    const { clock, buffer } = harness<Patch>({
      coalesce: byRow,
      maxBatch: 10,
      write: async () => {
        writes += 1
        // Traffic meanwhile: every write finds a row changed that was not queued before.
        buffer.add({ id: 100 + writes, fields: { calls: 1 } })
        await nextTurn()
      },
    })
    buffer.add({ id: 1, fields: { calls: 1 } })
    buffer.add({ id: 2, fields: { calls: 1 } })
    await buffer.flush()
    // One batch, the two rows queued at the call; the row its write brought is left for later.
    expect(writes).toBe(1)
    expect(buffer.pending()).toBe(1)
    clock.advance(1000)
    expect(writes).toBe(2)
  })

  it('never overlaps asynchronous writes, so one row is written in order', async () => {
    const events: string[] = []
    const releases: (() => void)[] = []
    const { buffer } = harness<Patch>({
      coalesce: byRow,
      write: (batch) => {
        events.push(`start ${batch.map((p) => JSON.stringify(p.fields)).join(' ')}`)
        return new Promise<void>((resolve) => {
          releases.push(() => {
            events.push('end')
            resolve()
          })
        })
      },
    })
    buffer.addNow({ id: 1, fields: { status: 1 } })
    buffer.addNow({ id: 1, fields: { status: 2 } })
    const second = buffer.flush()
    await nextTurn()
    expect(events).toEqual(['start {"status":1}'])
    releases.shift()?.()
    await nextTurn()
    await nextTurn()
    expect(events).toEqual(['start {"status":1}', 'end', 'start {"status":2}'])
    releases.shift()?.()
    await second
    expect(buffer.pending()).toBe(0)
  })

  it('flush with nothing queued still waits for the write under way (a change told after it is in the database)', async () => {
    const releases: (() => void)[] = []
    const { buffer } = harness<Patch>({
      coalesce: byRow,
      write: () => new Promise<void>((resolve) => releases.push(resolve)),
    })
    buffer.addNow({ id: 1, fields: { status: 1 } })
    await nextTurn()
    expect(buffer.pending()).toBe(0)
    let flushed = false
    const flush = buffer.flush().then(() => {
      flushed = true
    })
    await nextTurn()
    expect(flushed).toBe(false)
    releases.shift()?.()
    await flush
    expect(flushed).toBe(true)
  })

  it('unwritten gives what a write under way and the queue hold for a row, merged; nothing once written', async () => {
    const releases: (() => void)[] = []
    const { buffer } = harness<Patch>({
      coalesce: byRow,
      write: () => new Promise<void>((resolve) => releases.push(resolve)),
    })
    buffer.addNow({ id: 1, fields: { status: 1, calls: 5 } })
    await nextTurn()
    buffer.add({ id: 1, fields: { calls: 6 } })
    expect(buffer.queued(1)).toEqual({ id: 1, fields: { calls: 6 } })
    expect(buffer.unwritten(1)).toEqual({ id: 1, fields: { status: 1, calls: 6 } })
    expect(buffer.unwritten(2)).toBeUndefined()
    releases.shift()?.()
    await nextTurn()
    await nextTurn()
    expect(buffer.unwritten(1)).toEqual({ id: 1, fields: { calls: 6 } })
    const done = buffer.flush()
    await nextTurn()
    releases.shift()?.()
    await done
    expect(buffer.unwritten(1)).toBeUndefined()
  })

  it('catchUp writes only what was queued when it was called, one batch per turn', async () => {
    const { batches, buffer } = harness<number>()
    for (const n of [1, 2, 3, 4]) buffer.add(n)
    const caughtUp = buffer.catchUp()
    buffer.add(5)
    await caughtUp
    expect(batches.flat().slice(0, 4)).toEqual([1, 2, 3, 4])
  })

  it('tells flush listeners how many items each batch wrote; a throwing listener changes nothing', () => {
    const { clock, buffer } = harness<number>()
    const seen: number[] = []
    buffer.onFlush(() => {
      throw new Error('observer failed')
    })
    const unsubscribe = buffer.onFlush(({ items }) => seen.push(items))
    buffer.add(1)
    buffer.add(2)
    clock.advance(1000)
    unsubscribe()
    buffer.add(3)
    clock.advance(1000)
    expect(seen).toEqual([2])
    expect(buffer.pending()).toBe(0)
  })
})
