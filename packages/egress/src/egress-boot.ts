import {
  type EgressesStorage,
  type EgressRow,
  type NewEgressRow,
  SETTING,
  type SettingsStorage,
  type UpstreamKeyRow,
} from '@sfp/db'
import { isSealed, type KeyCipher } from '@sfp/key-pool'
import { hostPort, type ParsedProxyUrl } from '@sfp/schemas'
import { ProxyPasswordsLocked, ProxyPasswordsMismatch } from './errors.js'

/**
 * What makes two egresses the same IP: for proxies kind, host and port; for direct its address,
 * and in cluster mode the instance whose host it is (`direct@<INSTANCE_ID>|<address>`): every
 * instance has its own direct lane, driven by nobody else (docs/behaviour.md §9).
 */
export function directIdentity(localAddress: string | null, instanceId?: string | null): string {
  const owner = instanceId ? `@${instanceId}` : ''
  return `direct${owner}|${localAddress ?? '*'}`
}

/** The instance a direct egress belongs to (cluster mode); null for proxies and single mode. */
export function directOwner(identity: string): string | null {
  const match = /^direct@(.*)\|[^|]*$/.exec(identity)
  return match ? (match[1] as string) : null
}

/**
 * Whether this process may drive the egress: proxies and single-mode direct egresses always;
 * a cluster's direct egress only on its own instance.
 */
export function isOwnOrShared(
  row: Pick<EgressRow, 'kind' | 'identity'>,
  instanceId?: string | null,
): boolean {
  if (row.kind !== 'direct' || !instanceId) return true
  return directOwner(row.identity) === instanceId
}

export function proxyIdentity(proxy: Pick<ParsedProxyUrl, 'kind' | 'host' | 'port'>): string {
  return `${proxy.kind}|${hostPort(proxy.host, proxy.port)}`
}

/** The row a new proxy egress is stored as (the password sealed by `cipher`). */
export function proxyRow(
  proxy: ParsedProxyUrl,
  cipher: KeyCipher,
  time: number,
  extra: Partial<NewEgressRow> = {},
): NewEgressRow {
  return {
    kind: proxy.kind,
    scheme: proxy.scheme,
    host: proxy.host,
    port: proxy.port,
    username: proxy.username,
    password: proxy.password === null ? null : cipher.seal(proxy.password),
    identity: proxyIdentity(proxy),
    createdAt: time,
    updatedAt: time,
    ...extra,
  }
}

export interface BootDeps {
  repository: EgressesStorage
  settings: SettingsStorage
  cipher: KeyCipher
  /** EGRESS_DIRECT_ADDRESS */
  directAddress: string | null
  /** EGRESS_PROXIES */
  proxies: readonly ParsedProxyUrl[]
  /** Keys as stored, to bind the ones used before egresses existed to the direct egress. */
  keys: Iterable<Readonly<UpstreamKeyRow>>
  bindKey(id: number, egressId: number, usedAt: number): void
  time: number
  /**
   * Cluster mode: INSTANCE_ID. This instance's built-in direct egress is its own row; the
   * built-in row of single mode (a pool copied from SQLite) is adopted by the first instance.
   */
  instanceId?: string | null | undefined
}

/**
 * Proxy passwords against ENCRYPTION_KEY, like the stored keys: refuses to boot rather than lose
 * them; plaintext ones are sealed in place when a key is set.
 */
async function sealPasswords(repository: EgressesStorage, cipher: KeyCipher): Promise<void> {
  const withPassword = (await repository.all()).filter((row) => row.password !== null)
  const sealed = withPassword.filter((row) => isSealed(row.password ?? ''))
  if (!cipher.encrypting) {
    if (sealed.length > 0) throw new ProxyPasswordsLocked(sealed.length)
    return
  }
  for (const row of sealed) {
    try {
      cipher.open(row.password ?? '')
    } catch {
      throw new ProxyPasswordsMismatch()
    }
  }
  const plain = withPassword.filter((row) => !isSealed(row.password ?? ''))
  if (plain.length === 0) return
  await repository.replacePasswords(
    plain.map((row) => ({ id: row.id, password: cipher.seal(row.password ?? '') })),
  )
}

/**
 * The first boot with egresses: the guard memory and the key in use of the single-IP days
 * become the built-in direct egress's, and every key used before is bound to it (it was used
 * from this host), so no other lane sends it within the guard window of its last use.
 */
async function migrateSingleLane(deps: BootDeps, direct: EgressRow): Promise<void> {
  const { repository, settings } = deps
  let memory: Record<string, unknown> = {}
  try {
    const stored: unknown = await settings.getJson(SETTING.switchGuard)
    if (typeof stored === 'object' && stored !== null) memory = stored as Record<string, unknown>
  } catch {
    // Not what we wrote: no memory rather than no boot.
  }
  const number = (value: unknown) =>
    typeof value === 'number' && Number.isFinite(value) ? value : null
  const current = number(Number((await settings.get(SETTING.currentKeyId)) ?? Number.NaN))
  const lastUsedKeyId = number(memory.lastUsedKeyId) ?? current
  await repository.update(direct.id, {
    guardKeyId: lastUsedKeyId,
    guardUsedAt: number(memory.lastUsedAt),
    guardSwitchAt: number(memory.lastSwitchAt),
    updatedAt: deps.time,
  })
  for (const key of deps.keys) {
    if (key.lastUsedAt !== null && key.egressId === null) {
      deps.bindKey(key.id, direct.id, key.lastUsedAt)
    }
  }
  await settings.delete(SETTING.switchGuard)
  await settings.delete(SETTING.currentKeyId)
}

/**
 * Make the stored egresses match the settings: the built-in direct egress exists (made on first
 * boot, its local address following EGRESS_DIRECT_ADDRESS), and every EGRESS_PROXIES entry is
 * there (matched by scheme, host and port; new credentials replace old ones). Returns every row.
 */
export async function ensureEgresses(deps: BootDeps): Promise<EgressRow[]> {
  const { repository, cipher, time } = deps
  await sealPasswords(repository, cipher)
  let rows = await repository.all()
  const instanceId = deps.instanceId ?? null
  const identity = directIdentity(deps.directAddress, instanceId)
  const builtins = rows.filter((row) => row.builtin)
  let direct = builtins.find((row) => directOwner(row.identity) === instanceId)
  const unowned = builtins.find((row) => directOwner(row.identity) === null)
  if (direct === undefined && instanceId !== null && unowned !== undefined) {
    // The pool of a single instance moved to PostgreSQL: its direct lane (its keys and guard
    // window) is this host's. Two instances adopting at once: the last write wins, the other
    // makes its own row below when it reads again.
    await repository.update(unowned.id, {
      identity,
      localAddress: deps.directAddress,
      updatedAt: time,
    })
    rows = await repository.all()
    direct = rows.find((row) => row.builtin && directOwner(row.identity) === instanceId)
  }
  if (direct === undefined && builtins.length > 0 && instanceId !== null) {
    // Another instance's lanes exist: this one only adds its own direct egress.
    direct = await repository.insert({
      kind: 'direct',
      scheme: 'direct',
      localAddress: deps.directAddress,
      identity,
      builtin: true,
      createdAt: time,
      updatedAt: time,
    })
  } else if (direct === undefined) {
    const same = rows.find((row) => row.identity === identity)
    if (same) {
      await repository.update(same.id, { builtin: true, updatedAt: time })
      direct = { ...same, builtin: true }
    } else {
      direct = await repository.insert({
        kind: 'direct',
        scheme: 'direct',
        localAddress: deps.directAddress,
        identity,
        builtin: true,
        createdAt: time,
        updatedAt: time,
      })
    }
    if (direct) await migrateSingleLane(deps, direct)
  } else if (direct.identity !== identity && !rows.some((row) => row.identity === identity)) {
    await repository.update(direct.id, {
      localAddress: deps.directAddress,
      identity,
      updatedAt: time,
    })
  }
  rows = await repository.all()
  for (const proxy of deps.proxies) {
    const existing = rows.find((row) => row.identity === proxyIdentity(proxy))
    if (existing === undefined) {
      await repository.insert(proxyRow(proxy, cipher, time, { fromEnv: true }))
      continue
    }
    const password = existing.password === null ? null : cipher.open(existing.password)
    const changed =
      existing.scheme !== proxy.scheme ||
      existing.username !== proxy.username ||
      password !== proxy.password
    if (changed) {
      const sealed = proxy.password === null ? null : cipher.seal(proxy.password)
      await repository.update(existing.id, {
        scheme: proxy.scheme,
        username: proxy.username,
        password: sealed,
        fromEnv: true,
        updatedAt: time,
      })
    }
  }
  return repository.all()
}
