import { Sqlite } from '@sfp/db'
import { chatBody } from '../helpers/proxy-app.js'
import { TEST_CLIENT_KEY } from '../helpers/test-app.js'
import type { AdminWriteModel, KeyState, seededRandom } from './admin-write-model.js'
import { adminFetch } from './child-server.js'

export interface WriterOptions {
  url: string
  model: AdminWriteModel
  random: ReturnType<typeof seededRandom>
  /** Keys and client keys this writer makes start with this; it touches no others. */
  prefix: string
  stopped: () => boolean
}

const body = (value: unknown) => ({ method: 'POST', body: JSON.stringify(value) })

/**
 * Admin changes one after another, as fast as the server acknowledges them: keys added one by one
 * and in bulk, labels and enabled flags patched, keys made the key in use, keys deleted one by
 * one and in bulk, client keys made and deleted. Stops when told to or at its first call without
 * a 2xx.
 */
export async function runAdminWriter(options: WriterOptions): Promise<void> {
  const { url, model, random, prefix, stopped } = options
  let counter = 0
  const newKey = () => `sk-${prefix}-${++counter}-${Math.floor(random() * 1e9).toString(36)}xyz`
  const pick = <T>(items: T[]): T | undefined => items[Math.floor(random() * items.length)]
  const mine = () => model.presentKeys().filter((key) => key.startsWith(`sk-${prefix}-`))
  const stateOf = (key: string) => {
    const state = model.keys.acknowledged.get(key)
    if (state === undefined || state === 'absent') throw new Error(`not a present key: ${key}`)
    return state
  }
  const idOf = (key: string) => model.keyIds.get(key) ?? 0

  async function change(): Promise<boolean> {
    const roll = random()
    const target = pick(mine())
    if (roll < 0.3 || target === undefined) {
      const key = newKey()
      const label = random() < 0.5 ? null : `label-${counter}`
      const after = new Map<string, KeyState>([[key, { label, enabled: true }]])
      const payload = label === null ? { api_key: key } : { api_key: key, label }
      return model.changeKeys(after, () => adminFetch(url, '/api-keys', body(payload)))
    }
    if (roll < 0.4) {
      const keys = [newKey(), newKey(), newKey()]
      const after = new Map<string, KeyState>(keys.map((k) => [k, { label: null, enabled: true }]))
      const payload = { api_keys: keys.join('\n') }
      return model.changeKeys(after, () => adminFetch(url, '/api-keys', body(payload)))
    }
    if (roll < 0.55) {
      const label = random() < 0.2 ? null : `renamed-${counter++}`
      const after = new Map<string, KeyState>([[target, { ...stateOf(target), label }]])
      const send = () =>
        adminFetch(url, `/api-keys/${idOf(target)}`, {
          method: 'PATCH',
          body: JSON.stringify({ label }),
        })
      return model.changeKeys(after, send)
    }
    if (roll < 0.7) {
      const enabled = !stateOf(target).enabled
      const after = new Map<string, KeyState>([[target, { ...stateOf(target), enabled }]])
      const send = () =>
        adminFetch(url, `/api-keys/${idOf(target)}`, {
          method: 'PATCH',
          body: JSON.stringify({ enabled }),
        })
      return model.changeKeys(after, send)
    }
    if (roll < 0.78) {
      const send = () => adminFetch(url, `/api-keys/${idOf(target)}/activate`, { method: 'PUT' })
      return model.activateKey(target, send)
    }
    if (roll < 0.85) {
      const after = new Map<string, KeyState>([[target, 'absent']])
      const send = () => adminFetch(url, `/api-keys/${idOf(target)}`, { method: 'DELETE' })
      return model.changeKeys(after, send)
    }
    if (roll < 0.91) {
      const keys = [...new Set([target, pick(mine()) ?? target])]
      const action = pick(['enable', 'disable', 'delete'] as const) ?? 'delete'
      const after = new Map<string, KeyState>(
        keys.map((key) => [
          key,
          action === 'delete' ? 'absent' : { ...stateOf(key), enabled: action === 'enable' },
        ]),
      )
      const payload = { action, ids: keys.map(idOf) }
      return model.changeKeys(after, () => adminFetch(url, '/api-keys/bulk', body(payload)))
    }
    const client = pick(model.presentClientKeys().filter((name) => name.startsWith(prefix)))
    if (roll < 0.96 || client === undefined) {
      const name = `${prefix}-client-${++counter}`
      return model.changeClientKey(name, true, () =>
        adminFetch(url, '/client-keys', body({ name })),
      )
    }
    const id = model.clientKeyIds.get(client) ?? 0
    return model.changeClientKey(client, false, () =>
      adminFetch(url, `/client-keys/${id}`, { method: 'DELETE' }),
    )
  }

  while (!stopped()) {
    if (!(await change())) return
  }
}

/** A proxied request the client received in full: its id (for the request log) and when. */
export interface CompletedRequest {
  requestId: string
  completedAt: number
}

/**
 * Chat requests back to back, streamed and not; each one the client read to its end is kept, and
 * each answered with a status other than 200 goes to `refusals`.
 */
export async function runProxyLoad(
  url: string,
  stopped: () => boolean,
  completed: CompletedRequest[],
  refusals: string[],
): Promise<void> {
  for (let n = 0; !stopped(); n++) {
    try {
      const response = await fetch(`${url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TEST_CLIENT_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify(chatBody(`load ${n}`, { stream: n % 2 === 0 })),
      })
      const text = await response.text()
      if (response.status !== 200)
        refusals.push(`${response.status} chat ${n}: ${text.slice(0, 200)}`)
      const requestId = response.headers.get('x-request-id')
      if (requestId !== null) completed.push({ requestId, completedAt: Date.now() })
    } catch {
      return // the server is gone
    }
  }
}

/** The database file opened read-only: its integrity check and the request ids logged in it. */
export function inspectDatabaseFile(path: string): { integrity: string; loggedIds: Set<string> } {
  const db = new Sqlite(path, { readonly: true, fileMustExist: true })
  try {
    const integrity = db.pragma('integrity_check', { simple: true }) as string
    const rows = db.prepare('SELECT request_id AS requestId FROM request_logs').all() as {
      requestId: string
    }[]
    return { integrity, loggedIds: new Set(rows.map((row) => row.requestId)) }
  } finally {
    db.close()
  }
}
