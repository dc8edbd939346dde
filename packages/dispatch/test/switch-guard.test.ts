import type { KeySwitchPolicy } from '@sfp/schemas'
import { createManualClock, START } from '@sfp/test-support'
import { describe, expect, it } from 'vitest'
import {
  createSwitchGuard,
  type GuardMemoryStore,
  type SwitchGuardMemory,
} from '../src/switch-guard.js'

const MINUTE = 60_000

/** A lane's egress row in miniature: what was saved, and what a restart would load. */
class MemoryRow implements GuardMemoryStore {
  saved: unknown
  writes: { keyId: number | null; at: number; urgent: boolean }[] = []
  load() {
    return this.saved as Partial<Record<keyof SwitchGuardMemory, unknown>> | undefined
  }
  save(memory: SwitchGuardMemory, time: number, urgent: boolean) {
    this.saved = { ...memory }
    this.writes.push({ keyId: memory.lastUsedKeyId, at: time, urgent })
  }
}

function guardWith(policy: KeySwitchPolicy, minutes = 30, store = new MemoryRow()) {
  const clock = createManualClock()
  const guard = createSwitchGuard({
    minutes,
    policy,
    clock,
    store,
  })
  return { guard, clock, store }
}

describe('switch guard under the wait policy', () => {
  it('allows the same key and the first key ever', () => {
    const { guard } = guardWith('wait')
    expect(guard.check(1)).toEqual({ kind: 'same' })
    guard.recordUse(1)
    expect(guard.check(1)).toEqual({ kind: 'same' })
  })

  it('refuses another key inside the window, until the window after the last use ends', () => {
    const { guard, clock } = guardWith('wait')
    guard.recordUse(1)
    clock.advance(10 * MINUTE)
    guard.recordUse(1) // the end of the call moves the window
    clock.advance(29 * MINUTE)
    expect(guard.check(2)).toEqual({
      kind: 'switch-in-window',
      fromKeyId: 1,
      windowEndsAt: START + 40 * MINUTE,
      allowed: false,
    })
    clock.advance(MINUTE)
    expect(guard.check(2)).toEqual({ kind: 'switch', fromKeyId: 1 })
  })

  it('shows when the next switch is allowed and when the last one happened', () => {
    const { guard, clock } = guardWith('wait')
    expect(guard.status()).toEqual({
      policy: 'wait',
      minutes: 30,
      lastUsedKeyId: null,
      lastUsedAt: null,
      lastSwitchAt: null,
      nextSwitchAllowedAt: null,
    })
    guard.recordUse(1)
    clock.advance(31 * MINUTE)
    guard.recordUse(2)
    expect(guard.status()).toEqual({
      policy: 'wait',
      minutes: 30,
      lastUsedKeyId: 2,
      lastUsedAt: new Date(START + 31 * MINUTE).toISOString(),
      lastSwitchAt: new Date(START + 31 * MINUTE).toISOString(),
      nextSwitchAllowedAt: new Date(START + 61 * MINUTE).toISOString(),
    })
  })

  it('records an admin override: the chosen key serves at once, leaving it starts a window', () => {
    const { guard, clock } = guardWith('wait')
    guard.recordUse(1)
    clock.advance(5 * MINUTE)
    expect(guard.check(2).kind).toBe('switch-in-window')
    guard.recordOverride(2)
    expect(guard.check(2)).toEqual({ kind: 'same' })
    expect(guard.check(1)).toMatchObject({ kind: 'switch-in-window', allowed: false })
    expect(guard.status()).toMatchObject({
      lastUsedKeyId: 2,
      lastSwitchAt: new Date(START + 5 * MINUTE).toISOString(),
      nextSwitchAllowedAt: new Date(START + 35 * MINUTE).toISOString(),
    })
  })

  it('keeps an override when a call that started before it ends after it', () => {
    const { guard, clock } = guardWith('wait')
    guard.recordUse(1)
    clock.advance(MINUTE)
    guard.recordOverride(2)
    clock.advance(MINUTE)
    guard.recordEnd(1) // the request on key 1 ends: the lane left key 1, nothing changes
    expect(guard.memory()).toMatchObject({ lastUsedKeyId: 2, lastUsedAt: START + MINUTE })
    expect(guard.check(2)).toEqual({ kind: 'same' })
    // The end of a call of the lane's own key extends its window.
    guard.recordEnd(2)
    expect(guard.memory()).toMatchObject({ lastUsedKeyId: 2, lastUsedAt: START + 2 * MINUTE })
  })
})

describe('switch guard under the immediate policy', () => {
  it('allows a switch inside the window, and records it as a switch', () => {
    const { guard, clock } = guardWith('immediate')
    guard.recordUse(1)
    clock.advance(MINUTE)
    expect(guard.check(2)).toEqual({
      kind: 'switch-in-window',
      fromKeyId: 1,
      windowEndsAt: START + 30 * MINUTE,
      allowed: true,
    })
    guard.recordUse(2)
    expect(guard.memory()).toEqual({
      lastUsedKeyId: 2,
      lastUsedAt: START + MINUTE,
      lastSwitchAt: START + MINUTE,
    })
  })
})

describe('switch guard turned off', () => {
  it('with 0 minutes never sees a window', () => {
    const { guard } = guardWith('wait', 0)
    guard.recordUse(1)
    expect(guard.check(2)).toEqual({ kind: 'switch', fromKeyId: 1 })
    expect(guard.status().nextSwitchAllowedAt).toBeNull()
  })
})

describe('switch guard memory', () => {
  it('survives a restart: a new guard on the same stored memory still refuses', () => {
    const row = new MemoryRow()
    guardWith('wait', 30, row).guard.recordUse(7)
    const { guard, clock } = guardWith('wait', 30, row)
    clock.advance(10 * MINUTE)
    expect(guard.memory()).toEqual({ lastUsedKeyId: 7, lastUsedAt: START, lastSwitchAt: null })
    expect(guard.check(8)).toMatchObject({ kind: 'switch-in-window', allowed: false })
  })

  it('notifies listeners on every change and writes through to its store', () => {
    const { guard, store } = guardWith('wait')
    let changes = 0
    guard.onChange(() => changes++)
    guard.recordUse(3)
    guard.recordOverride(4)
    expect(changes).toBe(2)
    expect(store.saved).toEqual({
      lastUsedKeyId: 4,
      lastUsedAt: START,
      lastSwitchAt: START,
    })
  })

  it('notifies listeners when the window ends, after the last use, not before', () => {
    const { guard, clock } = guardWith('wait')
    let changes = 0
    guard.onChange(() => changes++)
    guard.recordUse(1)
    clock.advance(10 * MINUTE)
    guard.recordUse(1) // moves the end of the window to 40 minutes
    expect(changes).toBe(2)
    clock.advance(20 * MINUTE) // the first window's end: nothing to tell
    expect(changes).toBe(2)
    clock.advance(10 * MINUTE)
    expect(changes).toBe(3)
    expect(guard.check(2).kind).toBe('switch')
    guard.close()
  })

  it('asks its store to write a change of key at once; further uses of the same key may wait', () => {
    const { guard, clock, store } = guardWith('wait')
    guard.recordUse(1)
    clock.advance(100)
    guard.recordUse(1)
    guard.recordEnd(1)
    guard.recordUse(2)
    guard.recordEnd(1) // a call of the key the lane has left: not a use
    guard.recordOverride(1)
    expect(store.writes).toEqual([
      { keyId: 1, at: START, urgent: true },
      { keyId: 1, at: START + 100, urgent: false },
      { keyId: 1, at: START + 100, urgent: false },
      { keyId: 2, at: START + 100, urgent: true },
      { keyId: 1, at: START + 100, urgent: true },
    ])
    // The memory is what the store holds; the store's write-behind decides when it is written.
    expect(store.saved).toEqual(guard.memory())
  })

  it('stops its window timer on close (shutdown)', () => {
    const { guard, clock } = guardWith('wait')
    guard.recordUse(5)
    expect(clock.pendingTimers()).toBe(1) // the end of the window
    guard.close()
    expect(clock.pendingTimers()).toBe(0)
  })

  it('starts empty when the stored value is unreadable', () => {
    const throwing: GuardMemoryStore = {
      load: () => {
        throw new Error('unreadable')
      },
      save: () => {},
    }
    expect(guardWith('wait', 30, throwing as MemoryRow).guard.memory().lastUsedKeyId).toBeNull()
    const odd = new MemoryRow()
    odd.saved = { lastUsedKeyId: 'x' }
    expect(guardWith('wait', 30, odd).guard.memory().lastUsedKeyId).toBeNull()
  })
})
