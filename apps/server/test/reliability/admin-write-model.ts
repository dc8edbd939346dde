import type { KeyView, ListClientKeysResponse, ListKeysResponse } from '@sfp/schemas'
import { adminFetch } from './child-server.js'
import { KeyInUse } from './key-in-use.js'

/** What the admin API says about one upstream key; `absent` once deleted (or never added). */
export type KeyState = { label: string | null; enabled: boolean } | 'absent'

/** Random numbers from a seed (mulberry32): a failing run can be replayed with its seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}

/**
 * What the admin API acknowledged, and what it may have done without saying so. Each change is
 * entered as `maybe` before it is sent and moves to `acknowledged` when its 2xx arrives; a kill
 * in between leaves it `maybe`: after the restart the key must be in its acknowledged state or,
 * for a change in flight at the kill, in the state that change would have made. The key in use
 * is followed the same way (`KeyInUse`).
 * Writers stop at their first call without a 2xx, so a key never has two changes in doubt; every
 * answer that is not a 2xx is kept in `refusals`, and the test requires there be none: a writer
 * only changes keys it made and still has, so nothing it sends may be refused.
 */
export class AdminWriteModel {
  readonly keys = { acknowledged: new Map<string, KeyState>(), maybe: new Map<string, KeyState>() }
  readonly clientKeys = {
    acknowledged: new Map<string, boolean>(),
    maybe: new Map<string, boolean>(),
  }
  /** Ids the server gave, by key and by client-key name. */
  readonly keyIds = new Map<string, number>()
  readonly clientKeyIds = new Map<string, number>()
  readonly keyInUse: KeyInUse
  acknowledgedChanges = 0
  /** Calls answered with a status that was not a 2xx: what the test must never see. */
  readonly refusals: string[] = []
  /** The end of the last activation: the next one waits for it (see `KeyInUse`). */
  private activationTurn: Promise<unknown> = Promise.resolve()

  /** `fallbackKey`: the key the proxied traffic moves to when the key in use is not usable. */
  constructor(fallbackKey: string) {
    this.keyInUse = new KeyInUse(fallbackKey)
  }

  presentKeys(): string[] {
    return [...this.keys.acknowledged]
      .filter(([key, state]) => state !== 'absent' && !this.keys.maybe.has(key))
      .map(([key]) => key)
  }

  presentClientKeys(): string[] {
    return [...this.clientKeys.acknowledged]
      .filter(([name, present]) => present && !this.clientKeys.maybe.has(name))
      .map(([name]) => name)
  }

  /**
   * Send one change: `after` is every key's state if it succeeds. Returns false (and leaves the
   * change in doubt) when no 2xx came back.
   */
  async changeKeys(
    after: Map<string, KeyState>,
    send: () => Promise<Response>,
    activates?: string,
  ): Promise<boolean> {
    for (const [key, state] of after) {
      this.keys.maybe.set(key, state)
      if (state === 'absent') this.keyInUse.deleteSent(key)
      else if (!state.enabled) this.keyInUse.disableSent(key)
    }
    if (activates !== undefined) this.keyInUse.activationSent(activates)
    const response = await this.answer(send)
    if (response === undefined) return false
    // The status line is the acknowledgement: the server answers after its write committed.
    for (const [key, state] of after) {
      this.keys.acknowledged.set(key, state)
      this.keys.maybe.delete(key)
      if (state === 'absent') this.keyInUse.deleteAcknowledged(key)
    }
    if (activates !== undefined) this.keyInUse.activationAcknowledged(activates)
    this.acknowledgedChanges += 1
    if (response.status === 204) return true
    const body = (await response.json().catch(() => undefined)) as { added?: KeyView[] } | undefined
    if (body === undefined) return false
    const newKeys = [...after.keys()].filter((key) => !this.keyIds.has(key))
    for (const [index, view] of (body.added ?? []).entries()) {
      const key = newKeys[index]
      if (key !== undefined) this.keyIds.set(key, view.id)
    }
    return true
  }

  /**
   * Make `key` (one of the present keys) the key in use; it is enabled on the way. Activations
   * take turns: one is sent only once the one before it was answered or failed.
   */
  activateKey(key: string, send: () => Promise<Response>): Promise<boolean> {
    const state = this.keys.acknowledged.get(key)
    if (state === undefined || state === 'absent') throw new Error(`not a present key: ${key}`)
    const after = new Map<string, KeyState>([[key, { ...state, enabled: true }]])
    const activation = this.activationTurn.then(() => this.changeKeys(after, send, key))
    this.activationTurn = activation.catch(() => undefined)
    return activation
  }

  /**
   * The answer of one call when it is a 2xx. Any other status is kept in `refusals`; no answer
   * at all (the server was killed) is only a change in doubt.
   */
  private async answer(send: () => Promise<Response>): Promise<Response | undefined> {
    const response = await send().catch(() => undefined)
    if (response === undefined || response.ok) return response
    const body = await response.text().catch(() => '')
    this.refusals.push(
      `${response.status} ${new URL(response.url).pathname}: ${body.slice(0, 200)}`,
    )
    return undefined
  }

  async changeClientKey(name: string, present: boolean, send: () => Promise<Response>) {
    this.clientKeys.maybe.set(name, present)
    const response = await this.answer(send)
    if (response === undefined) return false
    this.clientKeys.acknowledged.set(name, present)
    this.clientKeys.maybe.delete(name)
    this.acknowledgedChanges += 1
    if (!present) return true
    const created = (await response.json().catch(() => undefined)) as
      | { key: { id: number } }
      | undefined
    if (created === undefined) return false
    this.clientKeyIds.set(name, created.key.id)
    return true
  }

  /** Every difference between the model and what the restarted server shows; none is the goal. */
  compare(actual: ServerKeyState): string[] {
    const problems: string[] = []
    const allowed = (acknowledged: unknown, maybe: unknown, seen: unknown) =>
      same(seen, acknowledged) || (maybe !== undefined && same(seen, maybe))
    const keys = new Set([...this.keys.acknowledged.keys(), ...this.keys.maybe.keys()])
    for (const key of new Set([...keys, ...actual.keys.keys()])) {
      const seen = actual.keys.get(key) ?? 'absent'
      const acknowledged = this.keys.acknowledged.get(key) ?? 'absent'
      if (!allowed(acknowledged, this.keys.maybe.get(key), seen)) {
        problems.push(
          `key …${key.slice(-12)}: acknowledged ${JSON.stringify(acknowledged)}, ` +
            `in doubt ${JSON.stringify(this.keys.maybe.get(key))}, found ${JSON.stringify(seen)}`,
        )
      }
    }
    const names = new Set([
      ...this.clientKeys.acknowledged.keys(),
      ...this.clientKeys.maybe.keys(),
      ...actual.clientKeys.keys(),
    ])
    for (const name of names) {
      const seen = actual.clientKeys.has(name)
      const acknowledged = this.clientKeys.acknowledged.get(name) ?? false
      if (!allowed(acknowledged, this.clientKeys.maybe.get(name), seen)) {
        problems.push(`client key ${name}: acknowledged ${acknowledged}, found ${seen}`)
      }
    }
    const inUse = this.keyInUse.problem(actual.current)
    if (inUse !== undefined) problems.push(inUse)
    return problems
  }

  /** After a check, the server's state is the truth to continue from; nothing is in doubt. */
  adopt(actual: ServerKeyState): void {
    this.keys.acknowledged = new Map(actual.keys)
    this.keys.maybe.clear()
    this.keyIds.clear()
    for (const [key, id] of actual.keyIds) this.keyIds.set(key, id)
    this.clientKeys.acknowledged.clear()
    this.clientKeys.maybe.clear()
    this.clientKeyIds.clear()
    for (const [name, id] of actual.clientKeys) {
      this.clientKeys.acknowledged.set(name, true)
      this.clientKeyIds.set(name, id)
    }
    const current = actual.current === null ? undefined : actual.keys.get(actual.current)
    this.keyInUse.restart(
      actual.current,
      current !== undefined && current !== 'absent' && current.enabled,
    )
  }
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b)

export interface ServerKeyState {
  keys: Map<string, KeyState>
  keyIds: Map<string, number>
  /** Client keys by name, with their ids. */
  clientKeys: Map<string, number>
  /** The key in use, or null when there is none. */
  current: string | null
}

/**
 * The keys as the admin API shows them: the export (plain keys, in id order) matched with the
 * list (masked views, in id order), and the client keys by name.
 */
export async function readServerKeys(url: string): Promise<ServerKeyState> {
  const list = (await (await adminFetch(url, '/api-keys')).json()) as ListKeysResponse
  const exported = (await (await adminFetch(url, '/api-keys/export')).text())
    .split('\n')
    .filter((line) => line !== '')
  if (exported.length !== list.keys.length) {
    throw new Error(`export has ${exported.length} keys, the list ${list.keys.length}`)
  }
  const keys = new Map<string, KeyState>()
  const keyIds = new Map<string, number>()
  let current: string | null = null
  for (const [index, view] of list.keys.entries()) {
    const key = exported[index] ?? ''
    if (view.maskedKey !== `${key.slice(0, 6)}…${key.slice(-4)}`) {
      throw new Error(`export and list disagree at ${index}`)
    }
    keys.set(key, { label: view.label, enabled: view.status !== 'disabled' })
    keyIds.set(key, view.id)
    if (view.isCurrent) current = key
  }
  const clients = (await (await adminFetch(url, '/client-keys')).json()) as ListClientKeysResponse
  const clientKeys = new Map(clients.keys.map((key) => [key.name, key.id]))
  return { keys, keyIds, clientKeys, current }
}
