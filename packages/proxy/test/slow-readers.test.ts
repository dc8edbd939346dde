import type { ServerResponse } from 'node:http'
import { createManualClock } from '@sfp/test-support'
import { describe, expect, it } from 'vitest'
import { SlowReaders } from '../src/slow-readers.js'

const IDLE_MS = 1000

/** The parts of a response and its socket the watch reads; `read(n)` moves the socket on. */
function fakeAnswer(waitingBytes: number) {
  const socket = { writableLength: waitingBytes, bytesWritten: 0, destroyed: false }
  const res = { socket, writableLength: 0, writableFinished: false }
  return {
    res: res as unknown as ServerResponse,
    socket: Object.assign(socket, {
      destroy() {
        socket.destroyed = true
      },
    }),
    read(bytes: number) {
      socket.bytesWritten += bytes
    },
  }
}

describe('SlowReaders', () => {
  it('cuts a reader whose socket moved nothing between two checks while bytes waited', () => {
    const clock = createManualClock()
    const readers = new SlowReaders(IDLE_MS, clock.setTimer)
    const idle = fakeAnswer(4096)
    const steady = fakeAnswer(4096)
    const quiet = fakeAnswer(0)
    const watches = [idle, steady, quiet].map((answer) => readers.watch(answer.res))
    clock.advance(IDLE_MS)
    // The first check only notes where each socket stands.
    expect(idle.socket.destroyed).toBe(false)
    steady.read(100)
    clock.advance(IDLE_MS)
    expect(idle.socket.destroyed).toBe(true)
    expect(watches[0]?.cut).toBe(true)
    expect(steady.socket.destroyed).toBe(false)
    // Nothing waits for a quiet answer (an SSE stream between events): never cut for it.
    clock.advance(10 * IDLE_MS)
    expect(quiet.socket.destroyed).toBe(false)
    expect(watches[2]?.cut).toBe(false)
    readers.close()
  })

  it('checks every answer with one timer, armed only while one is watched', () => {
    const clock = createManualClock()
    const readers = new SlowReaders(IDLE_MS, clock.setTimer)
    const watches = Array.from({ length: 100 }, () => readers.watch(fakeAnswer(0).res))
    expect(clock.pendingTimers()).toBe(1)
    for (const watch of watches) watch.stop()
    clock.advance(IDLE_MS)
    expect(clock.pendingTimers()).toBe(0)
    readers.watch(fakeAnswer(0).res)
    expect(clock.pendingTimers()).toBe(1)
    readers.close()
    expect(clock.pendingTimers()).toBe(0)
    // Closed: an answer still starting is not watched any more.
    readers.watch(fakeAnswer(4096).res)
    expect(clock.pendingTimers()).toBe(0)
  })
})
