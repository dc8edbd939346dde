import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { setTimeout as sleepFor } from 'node:timers/promises'
import { request } from 'undici'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { RequestAbort } from '../src/request-abort.js'

const servers: Server[] = []
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
})

/** A server that answers nothing: a request to it waits until it is aborted. */
async function silentServer(): Promise<string> {
  const server = createServer(() => {})
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

describe('RequestAbort', () => {
  it('calls each listener once, functions and handleEvent objects, in the order added', () => {
    const abort = new RequestAbort()
    const calls: string[] = []
    const first = () => calls.push('first')
    const waiter = { handleEvent: () => calls.push('waiter') }
    abort.signal.addEventListener('abort', first)
    abort.signal.addEventListener('abort', first, { once: true })
    abort.signal.addEventListener('abort', waiter)
    const removed = () => calls.push('removed')
    abort.signal.addEventListener('abort', removed)
    abort.signal.removeEventListener('abort', removed)
    expect(abort.signal.aborted).toBe(false)
    abort.abort('gone')
    abort.abort('again')
    expect(calls).toEqual(['first', 'waiter'])
    expect(abort.signal.aborted).toBe(true)
    expect(abort.signal.reason).toBe('gone')
    expect(() => abort.signal.throwIfAborted()).toThrow('gone')
  })

  it('reports a listener that throws as uncaught, and still calls the others', async () => {
    const abort = new RequestAbort()
    const uncaught = vi.fn()
    const listeners = process.listeners('uncaughtException')
    process.removeAllListeners('uncaughtException')
    process.once('uncaughtException', uncaught)
    try {
      const after = vi.fn()
      abort.signal.addEventListener('abort', () => {
        throw new Error('listener failed')
      })
      abort.signal.addEventListener('abort', after)
      abort.abort('gone')
      expect(after).toHaveBeenCalledOnce()
      await new Promise((resolve) => setImmediate(resolve))
      expect(uncaught).toHaveBeenCalledOnce()
      expect(uncaught.mock.calls[0]?.[0]).toMatchObject({ message: 'listener failed' })
    } finally {
      process.removeAllListeners('uncaughtException')
      for (const listener of listeners) process.on('uncaughtException', listener)
    }
  })

  it("stops an undici request with the abort's reason, and undici lets go of its listener", async () => {
    const url = await silentServer()
    const abort = new RequestAbort()
    const sent = request(url, { signal: abort.signal })
    await sleepFor(20)
    const reason = new Error('client gone')
    abort.abort(reason)
    await expect(sent).rejects.toBe(reason)

    // A request that ends normally removes what it added: aborting later reaches nobody.
    const done = new RequestAbort()
    const remove = vi.spyOn(done, 'removeEventListener')
    const answering = createServer((_, res) => res.end('ok'))
    servers.push(answering)
    await new Promise<void>((resolve) => answering.listen(0, '127.0.0.1', resolve))
    const port = (answering.address() as AddressInfo).port
    const answer = await request(`http://127.0.0.1:${port}`, { signal: done.signal })
    expect(await answer.body.text()).toBe('ok')
    await vi.waitFor(() => expect(remove).toHaveBeenCalled())
  })

  it('ends a node:timers/promises sleep, as the retry wait uses it', async () => {
    const abort = new RequestAbort()
    const sleeping = sleepFor(60_000, undefined, { signal: abort.signal })
    abort.abort(new Error('client gone'))
    await expect(sleeping).rejects.toMatchObject({ name: 'AbortError' })
    // Already aborted: refused at once.
    await expect(sleepFor(60_000, undefined, { signal: abort.signal })).rejects.toMatchObject({
      name: 'AbortError',
    })
  })
})
