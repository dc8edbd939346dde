import { type Linked, WaiterList } from './waiter-list.js'

/** What an item carries to live in a `FairQueue` (intrusive, like `WaiterList`: no node per item). */
export interface FairLinked<T> extends Linked<T> {
  /** The client key the request came with; null: none (an open proxy, a PROXY_API_KEYS key). */
  readonly clientKeyId: number | null
  /** Arrival order across every client: the queue timeout and shutdown walk it, oldest first. */
  older: T | null
  newer: T | null
}

/** One client's place in the ring: its waiters, first in first out. */
class ClientTurn<T extends FairLinked<T>> {
  readonly waiters = new WaiterList<T>()
  prev: ClientTurn<T> = this
  next: ClientTurn<T> = this
  constructor(readonly clientKeyId: number | null) {}
}

/**
 * Waiters served round-robin across client keys, first in first out within one key
 * (docs/behaviour.md §5): a client with one request waits behind at most one request of each
 * other client, not behind another client's hundred. A ring of per-client `WaiterList`s; a
 * client joins the ring at the end of the current round (just before the client whose turn it
 * is) and leaves it when its list empties, so every operation stays O(1).
 */
export class FairQueue<T extends FairLinked<T>> {
  readonly #turns = new Map<number | null, ClientTurn<T>>()
  /** The client whose turn it is; null when nobody waits. */
  #current: ClientTurn<T> | null = null
  #oldest: T | null = null
  #newest: T | null = null
  #size = 0

  get size(): number {
    return this.#size
  }

  /** Client keys (the keyless group counting as one) with a waiter. */
  get clients(): number {
    return this.#turns.size
  }

  /** How many waiters `clientKeyId` has. */
  sizeOf(clientKeyId: number | null): number {
    return this.#turns.get(clientKeyId)?.waiters.size ?? 0
  }

  /** The item to serve next: the oldest of the client whose turn it is. */
  peek(): T | null {
    return this.#current?.waiters.peek() ?? null
  }

  /** The item that has waited longest, whatever its client. */
  oldest(): T | null {
    return this.#oldest
  }

  push(item: T): void {
    let turn = this.#turns.get(item.clientKeyId)
    if (turn === undefined) {
      turn = new ClientTurn<T>(item.clientKeyId)
      this.#turns.set(item.clientKeyId, turn)
      this.#joinRing(turn)
    }
    turn.waiters.push(item)
    item.older = this.#newest
    item.newer = null
    if (this.#newest === null) this.#oldest = item
    else this.#newest.newer = item
    this.#newest = item
    this.#size += 1
  }

  /**
   * `item`, which `peek()` gave, was served: it leaves and the turn passes to the next client.
   * (Named rather than shifted: a change listener may have moved things meanwhile.)
   */
  take(item: T): void {
    if (!item.listed) return
    const turn = this.#turns.get(item.clientKeyId)
    if (turn !== undefined && turn === this.#current) this.#current = turn.next
    this.remove(item)
  }

  /** Unlink `item` where it stands (its client left, it timed out); does nothing when not listed. */
  remove(item: T): void {
    if (!item.listed) return
    const turn = this.#turns.get(item.clientKeyId)
    if (turn === undefined) return
    turn.waiters.remove(item)
    if (item.older === null) this.#oldest = item.newer
    else item.older.newer = item.newer
    if (item.newer === null) this.#newest = item.older
    else item.newer.older = item.older
    item.older = null
    item.newer = null
    this.#size -= 1
    if (turn.waiters.size === 0) this.#leaveRing(turn)
  }

  /** At the end of the current round: every client already waiting gets its turn first. */
  #joinRing(turn: ClientTurn<T>): void {
    const current = this.#current
    if (current === null) {
      this.#current = turn
      return
    }
    turn.next = current
    turn.prev = current.prev
    current.prev.next = turn
    current.prev = turn
  }

  #leaveRing(turn: ClientTurn<T>): void {
    this.#turns.delete(turn.clientKeyId)
    if (turn.next === turn) {
      this.#current = null
      return
    }
    turn.prev.next = turn.next
    turn.next.prev = turn.prev
    if (this.#current === turn) this.#current = turn.next
  }
}
