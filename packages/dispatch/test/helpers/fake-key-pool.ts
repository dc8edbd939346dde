import type {
  CurrentKeyState,
  KeyActivatedListener,
  KeyPool,
  KeySelection,
  PoolChangeListener,
  UpstreamGate,
} from '@sfp/key-pool'
import { emptyStatusCounts, type KeyView, type PoolStatus } from '@sfp/schemas'

/**
 * A key pool whose selection the test sets by hand. It records what the dispatch asks of it and
 * runs `check` through the installed upstream gate, like the real pool.
 */
export class FakeKeyPool implements KeyPool {
  selection: KeySelection = { kind: 'none', current: null, retryAt: null }
  current: number | null = null
  readonly setCurrentCalls: { id: number; reason: string }[] = []
  /** Keys sent "upstream" by `check`, in order. */
  readonly checked: number[] = []
  gate: UpstreamGate | null = null
  #changeListeners = new Set<PoolChangeListener>()
  #activateListeners = new Set<KeyActivatedListener>()

  /** `current` is usable and stays in use. */
  keep(keyId: number): void {
    this.current = keyId
    this.selection = { kind: 'current', keyId }
  }

  /** The key in use is unusable (or missing); `keyId` would replace it. */
  proposeSwitch(keyId: number, current: CurrentKeyState | null): void {
    this.current = current?.keyId ?? null
    this.selection = { kind: 'switch', keyId, current }
  }

  select(): KeySelection {
    return this.selection
  }
  setCurrent(id: number, reason: string): void {
    this.setCurrentCalls.push({ id, reason })
    this.current = id
    this.selection = { kind: 'current', keyId: id }
    this.changed()
  }
  secret(id: number): string {
    return `sk-secret-${id}`
  }
  currentKeyId(): number | null {
    return this.current
  }
  status(): PoolStatus {
    return {
      total: 2,
      byStatus: { ...emptyStatusCounts(), active: 2 },
      totalBalance: 10,
      currentKeyId: this.current,
    }
  }
  activate(id: number): KeyView {
    this.current = id
    this.selection = { kind: 'current', keyId: id }
    for (const listener of this.#activateListeners) listener(id)
    this.changed()
    return this.view(id)
  }
  async check(id: number, signal?: AbortSignal): Promise<KeyView> {
    const run = async () => {
      this.checked.push(id)
      return this.view(id)
    }
    return this.gate ? this.gate(id, run, signal) : run()
  }
  view(id: number): KeyView {
    const time = new Date(0).toISOString()
    return {
      id,
      label: null,
      maskedKey: 'sk-abc…wxyz',
      status: 'active',
      isCurrent: id === this.current,
      balance: 10,
      balanceCheckedAt: time,
      callCount: 0,
      errorCount: 0,
      consecutiveErrors: 0,
      lastError: null,
      lastUsedAt: null,
      cooldownUntil: null,
      createdAt: time,
    }
  }
  useUpstreamGate(gate: UpstreamGate): void {
    this.gate = gate
  }
  onChange(listener: PoolChangeListener): () => void {
    this.#changeListeners.add(listener)
    return () => this.#changeListeners.delete(listener)
  }
  onActivate(listener: KeyActivatedListener): () => void {
    this.#activateListeners.add(listener)
    return () => this.#activateListeners.delete(listener)
  }
  listenerCount(): number {
    return this.#changeListeners.size + this.#activateListeners.size
  }
  changed(): void {
    for (const listener of this.#changeListeners) listener()
  }

  list(): never {
    throw new Error('not used by dispatch')
  }
  add(): never {
    throw new Error('not used by dispatch')
  }
  remove(): never {
    throw new Error('not used by dispatch')
  }
  update(): never {
    throw new Error('not used by dispatch')
  }
  exportText(): never {
    throw new Error('not used by dispatch')
  }
  report(): never {
    throw new Error('not used by dispatch')
  }
  async stop(): Promise<void> {}
}
