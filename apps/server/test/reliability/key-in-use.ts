/**
 * Which upstream keys may be the key in use, by what the admin API acknowledged: the last
 * acknowledged activation, unless a later change moved it on legitimately.
 *
 * - An activation makes its key the key in use. Activations are sent one at a time (the writers
 *   share a turn), so the last acknowledged one is the last one made; one still in flight, or in
 *   doubt after a kill, may have been made too.
 * - Disabling the key in use leaves it in use until the next proxied request, which moves to the
 *   `fallback` key (the earliest created and always usable: the one the proxied traffic uses).
 * - Deleting the key in use leaves no key in use until the next proxied request: then `fallback`.
 * - A key is changed only by the writer that made it, one call at a time, so nothing else can
 *   interleave with an activation of it.
 */
export class KeyInUse {
  /** Keys (null: none) that may be in use now, given every change sent so far. */
  private possible: Set<string | null>

  constructor(private readonly fallback: string) {
    this.possible = new Set([null, fallback])
  }

  /** A restarted server shows `actual`; proxied traffic moves on from it when it is not usable. */
  restart(actual: string | null, usable: boolean): void {
    this.possible = new Set([actual])
    if (!usable) this.possible.add(this.fallback)
  }

  activationSent(key: string): void {
    this.possible.add(key)
  }

  activationAcknowledged(key: string): void {
    this.possible = new Set([key])
  }

  disableSent(key: string): void {
    if (this.possible.has(key)) this.possible.add(this.fallback)
  }

  deleteSent(key: string): void {
    if (!this.possible.has(key)) return
    this.possible.add(null)
    this.possible.add(this.fallback)
  }

  deleteAcknowledged(key: string): void {
    this.possible.delete(key)
  }

  /** What is wrong with `actual` as the key in use; undefined when it may be. */
  problem(actual: string | null): string | undefined {
    if (this.possible.has(actual)) return undefined
    const name = (key: string | null) => (key === null ? 'none' : `…${key.slice(-12)}`)
    return `key in use ${name(actual)}, expected one of ${[...this.possible].map(name).join(', ')}`
  }
}
