import type { EgressView, StatusView } from '@sfp/schemas'
import { waitFor } from '@testing-library/react'
import { EgressesPage } from '../../src/pages/egresses/EgressesPage.js'
import { json, mockFetch, type RecordedRequest } from './fetch-mock.js'
import { egressView, keyView, laneStatus, statusView } from './fixtures.js'
import { renderSignedIn } from './render.js'

type Handler = (request: RecordedRequest) => Response | Promise<Response>

export const IN_90_S = () => new Date(Date.now() + 90_000).toISOString()
export const IN_30_MIN = () => new Date(Date.now() + 30 * 60_000).toISOString()

/** The built-in direct egress, a proxy that is down, one whose IP is blocked, one disabled. */
export function sampleEgresses(): EgressView[] {
  return [
    egressView({ id: 1, currentKeyId: 1, requestCount: 1234, errorCount: 5, inFlight: 1 }),
    egressView({
      id: 2,
      label: 'office',
      kind: 'socks5',
      url: 'socks5://alice:***@10.0.0.2:1080',
      state: 'down',
      stateReason: 'proxy refused the connection',
      retryAt: IN_90_S(),
      currentKeyId: null,
    }),
    egressView({
      id: 3,
      label: null,
      kind: 'http',
      url: 'http://203.0.113.9:3128',
      state: 'blocked',
      stateReason: 'upstream answered 50603',
      blockedUntil: IN_30_MIN(),
      currentKeyId: 2,
    }),
    egressView({
      id: 4,
      label: 'spare',
      kind: 'https',
      url: 'https://proxy.example:8443',
      enabled: false,
      state: 'disabled',
      stateReason: 'disabled by the admin',
      currentKeyId: null,
    }),
  ]
}

export function laneStatuses(egresses: readonly EgressView[]): StatusView['egresses'] {
  return egresses.map((egress) =>
    laneStatus({
      id: egress.id,
      label: egress.label,
      state: egress.state,
      switchGuard: {
        ...laneStatus().switchGuard,
        currentKeyId: egress.currentKeyId,
        lastUsedKeyId: egress.currentKeyId,
      },
    }),
  )
}

/**
 * The Egress page, signed in and live, listing `egresses` (the server's list can be changed
 * through the returned `setEgresses`); `routes` add or replace admin routes.
 */
export async function renderEgressesPage(
  routes: Record<string, Handler> = {},
  { egresses = sampleEgresses(), language = 'zh' as 'zh' | 'en' } = {},
) {
  let list = egresses
  const server = mockFetch({
    'GET /api/manage/egresses': () => json({ egresses: list }),
    'GET /api/manage/status': () => json(statusView({ egresses: laneStatuses(list) })),
    'GET /api/manage/api-keys': () =>
      json({
        keys: [
          keyView({ id: 1, maskedKey: 'sk-aaaa…0001', isCurrent: true }),
          keyView({ id: 2, maskedKey: 'sk-bbbb…0002', isCurrent: true, egressId: 3 }),
        ],
        total: 2,
      }),
    ...routes,
  })
  renderSignedIn(<EgressesPage />, { live: true, language })
  if (egresses.length > 0) {
    await waitFor(() => {
      if (!document.querySelector('[data-egress-id]')) throw new Error('no egress listed yet')
    })
  }
  return {
    ...server,
    setEgresses(next: EgressView[]) {
      list = next
    },
  }
}

export function requestsTo(requests: RecordedRequest[], method: string, path: string) {
  return requests.filter(
    (request) => request.method === method && request.url.pathname === `/api/manage${path}`,
  )
}

/** The table row (or, at phone width, the card) of one egress. */
export function rowOf(id: number): HTMLElement {
  const row = document.querySelector<HTMLElement>(`[data-egress-id="${id}"]`)
  if (!row) throw new Error(`no row for egress #${id}`)
  return row
}
