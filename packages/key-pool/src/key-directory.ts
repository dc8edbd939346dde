import type { NewUpstreamKeyRow, UpstreamKeyPatch } from '@sfp/db'
import { emptyStatusCounts, maskSecret } from '@sfp/schemas'
import { parseKeyList, parseSingleKey } from './import-parser.js'
import type { KeyCipher } from './key-cipher.js'
import type { KeyStore } from './key-store.js'
import type { KeyPool } from './types.js'
import { toKeyView } from './views.js'

/** The admin's side of the pool: what keys there are, adding, removing, enabling them. */
export type KeyDirectory = Pick<
  KeyPool,
  'list' | 'view' | 'status' | 'row' | 'rows' | 'add' | 'remove' | 'update' | 'exportText'
>

export function createKeyDirectory(
  store: KeyStore,
  cipher: KeyCipher,
  now: () => number,
): KeyDirectory {
  const view = (id: number) => toKeyView(store.require(id), store.inUse.has(id))

  return {
    list(query) {
      const all = [...store.values()]
      const matching = query.status ? all.filter((row) => row.status === query.status) : all
      const offset = query.offset ?? 0
      const end = query.limit === undefined ? undefined : offset + query.limit
      const { inUse } = store
      return {
        keys: matching.slice(offset, end).map((row) => toKeyView(row, inUse.has(row.id))),
        total: matching.length,
      }
    },
    view: (id) => (store.get(id) ? view(id) : undefined),
    status() {
      const byStatus = emptyStatusCounts()
      let totalBalance: number | null = null
      for (const row of store.values()) {
        byStatus[row.status] += 1
        if (row.balance !== null) totalBalance = (totalBalance ?? 0) + row.balance
      }
      return { total: store.size, byStatus, totalBalance, currentKeyId: store.inUse.primary() }
    },
    row: (id) => store.get(id),
    rows: () => store.values(),

    /**
     * `api_key` is one key, `api_keys` a list. Duplicates are found by fingerprint, in memory,
     * without decrypting anything; all new keys go in with one transaction.
     */
    async add(body) {
      const parsed = 'api_key' in body ? parseSingleKey(body.api_key) : parseKeyList(body.api_keys)
      const label = body.label ? body.label : null
      const time = now()
      const rows: NewUpstreamKeyRow[] = []
      let duplicates = parsed.duplicates
      for (const key of parsed.keys) {
        const fingerprint = cipher.fingerprint(key)
        if (store.hasFingerprint(fingerprint)) {
          duplicates += 1
          continue
        }
        const masked = maskSecret(key)
        const secret = cipher.seal(key)
        rows.push({
          secret,
          fingerprint,
          maskedKey: masked,
          label,
          createdAt: time,
          updatedAt: time,
        })
      }
      const added = rows.length > 0 ? await store.insert(rows) : []
      if (added.length > 0) store.changed()
      return {
        added: added.map((row) => toKeyView(row, false)),
        duplicates: duplicates + rows.length - added.length,
        invalid: parsed.invalid,
      }
    },
    async remove(ids) {
      const removed = await store.remove(ids)
      const gone = new Set(removed)
      if (removed.length > 0) store.changed()
      return { removed, notFound: [...new Set(ids)].filter((id) => !gone.has(id)) }
    },
    /** Enabling only undoes `disabled`: an `invalid` or `insufficient` key stays what it is. */
    update(id, patch) {
      const key = store.require(id)
      const fields: UpstreamKeyPatch = {}
      if (patch.label !== undefined) fields.label = patch.label === '' ? null : patch.label
      if (patch.balance !== undefined) {
        // As a balance read from upstream: it counts what was spent before it.
        Object.assign(fields, { balance: patch.balance, balanceCheckedAt: now(), spent: null })
        const set = { code: 'balance_set_by_admin', params: { balance: patch.balance } } as const
        store.record({ keyId: id, type: 'check', explanation: set })
      }
      if (patch.enabled === false && key.status !== 'disabled') {
        const params = patch.reason ? { reason: patch.reason } : {}
        const disabled = { code: 'disabled_by_admin', params } as const
        store.transition(id, 'disabled', disabled, fields)
      } else if (patch.enabled === true && key.status === 'disabled') {
        const enabled = { code: 'enabled_by_admin', params: {} } as const
        store.transition(id, 'active', enabled, { ...fields, consecutiveErrors: 0 })
      } else if (Object.keys(fields).length > 0) {
        store.patch(id, fields)
      }
      store.changed()
      return view(id)
    },
    /** The one way keys leave in plain text. */
    exportText() {
      const keys = [...store.values()].map((row) => cipher.open(row.secret))
      return keys.length > 0 ? `${keys.join('\n')}\n` : ''
    },
  }
}
