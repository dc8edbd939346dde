import type { KeyView } from '@sfp/schemas'
import { screen } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { vi } from 'vitest'
import { KeysPage } from '../../src/pages/keys/KeysPage.js'
import { navigate } from '../../src/router/history-router.js'
import { json, mockFetch, type RecordedRequest } from './fetch-mock.js'
import { keyView, statusView } from './fixtures.js'
import { renderSignedIn } from './render.js'

export const CURRENT_KEY = keyView({
  id: 1,
  status: 'active',
  maskedKey: 'sk-aaaa…0001',
  isCurrent: true,
})
export const LOW_KEY = keyView({
  id: 2,
  status: 'insufficient',
  maskedKey: 'sk-bbbb…0002',
  balance: 0.2,
})
export const DISABLED_KEY = keyView({ id: 3, status: 'disabled', maskedKey: 'sk-cccc…0003' })
export const KEYS = [CURRENT_KEY, LOW_KEY, DISABLED_KEY]

type Handler = (request: RecordedRequest) => Response | Promise<Response>

/**
 * The Keys page, signed in, with the three keys above; `routes` add or replace admin routes.
 * happy-dom lays nothing out, so the virtualized table gets a viewport to decide which rows exist.
 */
export async function renderKeysPage(routes: Record<string, Handler> = {}, path = '/keys') {
  vi.spyOn(HTMLElement.prototype, 'clientHeight', 'get').mockReturnValue(600)
  vi.spyOn(HTMLElement.prototype, 'clientWidth', 'get').mockReturnValue(1200)
  const server = mockFetch({
    'GET /api/manage/api-keys': () => json({ keys: KEYS, total: KEYS.length }),
    'GET /api/manage/status': () => json(statusView()),
    'GET /api/manage/key-events': () => json({ events: [] }),
    ...routes,
  })
  navigate(path)
  renderSignedIn(<KeysPage />, { live: true })
  await screen.findByText(new RegExp(`共 ${KEYS.length} 个$`))
  return server
}

/** Opens the actions of one key (its masked key in the table is the button). */
export async function openKeyActions(key: KeyView): Promise<HTMLElement> {
  await userEvent.click(
    screen.getByRole('button', { name: `管理密钥 #${key.id}（${key.maskedKey}）` }),
  )
  return screen.getByRole('dialog', { name: `密钥 #${key.id}` })
}

export function requestsTo(requests: RecordedRequest[], method: string, path: string) {
  return requests.filter(
    (request) => request.method === method && request.url.pathname === `/api/manage${path}`,
  )
}
