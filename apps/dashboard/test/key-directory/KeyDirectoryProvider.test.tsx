import type { KeyView, StatusView } from '@sfp/schemas'
import { act, screen } from '@testing-library/react'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { useKeyDirectory } from '../../src/key-directory/KeyDirectoryProvider.js'
import { json, mockFetch, type RecordedRequest } from '../helpers/fetch-mock.js'
import { keyView, laneStatus, statusView } from '../helpers/fixtures.js'
import { renderSignedIn } from '../helpers/render.js'
import { controlledStatusStream } from '../helpers/sse.js'

/** Every key as `id:status:balance:calls:current`, as the pages would show them. */
function DirectoryProbe() {
  const { keys } = useKeyDirectory()
  return (
    <ul>
      {keys?.map((key) => (
        <li key={key.id}>
          {`${key.id}:${key.status}:${key.balance}:${key.callCount}:${key.isCurrent ? 'current' : ''}`}
        </li>
      ))}
    </ul>
  )
}

const shown = () => screen.queryAllByRole('listitem').map((item) => item.textContent)

/** The server's keys: the key in use is #2, the second in the list, on the one lane. */
let serverKeys: KeyView[]
const GUARD = { ...statusView().switchGuard, currentKeyId: 2, lastUsedKeyId: 2 }
const BASE = statusView({
  switchGuard: GUARD,
  egresses: [laneStatus({ id: 1, switchGuard: GUARD })],
  pool: {
    total: 3,
    byStatus: { active: 3, cooling: 0, insufficient: 0, invalid: 0, error: 0, disabled: 0 },
    totalBalance: 30,
    currentKeyId: 2,
  },
})

function withPool(
  pool: Partial<StatusView['pool']>,
  guard: Partial<StatusView['switchGuard']> = {},
) {
  return {
    ...BASE,
    pool: { ...BASE.pool, ...pool },
    switchGuard: { ...BASE.switchGuard, ...guard },
  }
}

/** Renders the directory on a live stream; resolves once the first list arrived. */
async function start() {
  const stream = controlledStatusStream()
  const server = mockFetch({
    'GET /api/manage/status': () => json(BASE),
    'GET /api/manage/events': () => stream.response,
    'GET /api/manage/api-keys': ({ url }) => {
      const offset = Number(url.searchParams.get('offset') ?? 0)
      const limit = url.searchParams.get('limit')
      const keys = serverKeys.slice(offset, limit === null ? undefined : offset + Number(limit))
      return json({ keys, total: serverKeys.length })
    },
  })
  renderSignedIn(<DirectoryProbe />, { live: true })
  await advance(0)
  const send = async (status: StatusView) => {
    stream.send(status)
    await advance(0)
  }
  await send(BASE)
  const listCalls = () =>
    server.requests.filter(
      (request: RecordedRequest) =>
        request.url.pathname === '/api/manage/api-keys' && !request.url.searchParams.has('limit'),
    ).length
  const keyCalls = () =>
    server.requests
      .filter((request) => request.url.searchParams.has('limit'))
      .map((request) => request.url.search)
  return { send, listCalls, keyCalls }
}

async function advance(ms: number): Promise<void> {
  await act(() => vi.advanceTimersByTimeAsync(ms))
}

describe('KeyDirectoryProvider on the status stream', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: Date.UTC(2025, 4, 14, 12, 0, 0) })
    serverKeys = [
      keyView({ id: 1, balance: 10 }),
      keyView({ id: 2, balance: 10, isCurrent: true }),
      keyView({ id: 3, balance: 10 }),
    ]
  })

  it('does not reload for queue changes, nor for the balance or use of the key in use', async () => {
    const { send, listCalls, keyCalls } = await start()
    expect(listCalls()).toBe(1)
    expect(shown()).toEqual(['1:active:10:10:', '2:active:10:10:current', '3:active:10:10:'])

    await send({ ...BASE, dispatch: { ...BASE.dispatch, inFlight: 1, queued: 3 } })
    await advance(10_000)
    expect(listCalls()).toBe(1)
    expect(keyCalls()).toEqual([])

    // The key in use was used and its balance checked: only its row is fetched again.
    serverKeys[1] = { ...(serverKeys[1] as KeyView), balance: 9.5, callCount: 11 }
    await send(withPool({ totalBalance: 29.5 }, { lastUsedAt: new Date().toISOString() }))
    await advance(1999)
    expect(keyCalls()).toEqual([])
    await advance(1)
    expect(keyCalls()).toEqual(['?offset=1&limit=1'])
    expect(shown()).toEqual(['1:active:10:10:', '2:active:9.5:11:current', '3:active:10:10:'])
    expect(listCalls()).toBe(1)
  })

  it('reloads the whole list when a state count changes, once the changes settle', async () => {
    const { send, listCalls, keyCalls } = await start()
    const counts = BASE.pool.byStatus
    serverKeys[1] = { ...(serverKeys[1] as KeyView), status: 'cooling' }
    await send(withPool({ byStatus: { ...counts, active: 2, cooling: 1 } }))
    await advance(500)
    serverKeys[2] = { ...(serverKeys[2] as KeyView), status: 'cooling' }
    await send(withPool({ byStatus: { ...counts, active: 1, cooling: 2 } }))
    // The pending reload brings a balance change too; no separate refresh of one key.
    await send(withPool({ byStatus: { ...counts, active: 1, cooling: 2 }, totalBalance: 1 }))
    await advance(999)
    expect(listCalls()).toBe(1)
    await advance(1)
    expect(listCalls()).toBe(2)
    expect(shown()).toEqual(['1:active:10:10:', '2:cooling:10:10:current', '3:cooling:10:10:'])
    await advance(5000)
    expect(keyCalls()).toEqual([])
    expect(listCalls()).toBe(2)
  })

  it('reloads when the key in use changes although the counts stay the same', async () => {
    const { send, listCalls } = await start()
    // #2 went cooling and #3, cooled down, took over: one key each way, same counts.
    serverKeys = [
      serverKeys[0] as KeyView,
      { ...(serverKeys[1] as KeyView), status: 'cooling', isCurrent: false },
      { ...(serverKeys[2] as KeyView), isCurrent: true },
    ]
    await send(withPool({ currentKeyId: 3 }, { currentKeyId: 3 }))
    await advance(1000)
    expect(listCalls()).toBe(2)
    expect(shown()).toEqual(['1:active:10:10:', '2:cooling:10:10:', '3:active:10:10:current'])
  })

  it('reloads the whole list when the key in use is no longer where it was', async () => {
    const { send, listCalls, keyCalls } = await start()
    // Another admin deleted #1 meanwhile: position 1 now holds #3.
    serverKeys = [serverKeys[1] as KeyView, serverKeys[2] as KeyView]
    await send(withPool({ totalBalance: 20 }))
    await advance(2000)
    expect(keyCalls()).toEqual(['?offset=1&limit=1'])
    await advance(0)
    expect(listCalls()).toBe(2)
    expect(shown()).toEqual(['2:active:10:10:current', '3:active:10:10:'])
  })
  it('refreshes the key another lane used, and reloads when a lane takes another key', async () => {
    const { send, listCalls, keyCalls } = await start()
    // A second lane (a proxy) uses #3.
    const second = laneStatus({
      id: 2,
      label: 'proxy',
      switchGuard: { ...GUARD, currentKeyId: 3, lastUsedKeyId: 3 },
    })
    await send({ ...BASE, egresses: [...BASE.egresses, second] })
    await advance(1000)
    expect(listCalls()).toBe(2)

    serverKeys[2] = { ...(serverKeys[2] as KeyView), callCount: 12 }
    const used = { ...second.switchGuard, lastUsedAt: new Date().toISOString() }
    await send({ ...BASE, egresses: [...BASE.egresses, { ...second, switchGuard: used }] })
    await advance(2000)
    // Only the key of the lane that was used; the first lane's key did not change.
    expect(keyCalls()).toEqual(['?offset=2&limit=1'])
    expect(shown()).toContain('3:active:10:12:')
    expect(listCalls()).toBe(2)

    // The second lane moves on to #1: that key's lane (egressId) changed, so the whole list.
    const moved = { ...used, currentKeyId: 1, lastUsedKeyId: 1 }
    await send({ ...BASE, egresses: [...BASE.egresses, { ...second, switchGuard: moved }] })
    await advance(1000)
    expect(listCalls()).toBe(3)
  })
})
