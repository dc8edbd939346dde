/** The links an item carries to live in a `WaiterList` (intrusive: no node object per item). */
export interface Linked<T> {
  prev: T | null
  next: T | null
  /** True while the item is in a list. */
  listed: boolean
}

/**
 * A first-in first-out queue that can also drop any item in O(1): a waiter whose client leaves is
 * unlinked where it stands instead of being searched for or left behind as a tombstone.
 */
export class WaiterList<T extends Linked<T>> {
  #head: T | null = null
  #tail: T | null = null
  #size = 0

  get size(): number {
    return this.#size
  }

  /** The item that has waited longest. */
  peek(): T | null {
    return this.#head
  }

  push(item: T): void {
    item.prev = this.#tail
    item.next = null
    item.listed = true
    if (this.#tail === null) this.#head = item
    else this.#tail.next = item
    this.#tail = item
    this.#size += 1
  }

  shift(): T | null {
    const head = this.#head
    if (head !== null) this.remove(head)
    return head
  }

  /** Unlink `item`; does nothing when it is not listed. */
  remove(item: T): void {
    if (!item.listed) return
    if (item.prev === null) this.#head = item.next
    else item.prev.next = item.next
    if (item.next === null) this.#tail = item.prev
    else item.next.prev = item.prev
    item.prev = null
    item.next = null
    item.listed = false
    this.#size -= 1
  }
}
