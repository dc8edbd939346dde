import type { ServerResponse } from 'node:http'
import type { SetTimer } from '@sfp/runtime'

/** One answer being watched; `cut` once its reader was found idle and its connection destroyed. */
export interface SlowReaderWatch {
  readonly cut: boolean
  stop(): void
}

interface Watched extends SlowReaderWatch {
  cut: boolean
  res: ServerResponse
  /** The socket's written bytes at the last check (-1 before the first). */
  written: number
}

/**
 * A client that takes no byte of an answer while bytes wait for it is cut after `idleMs`
 * (UPSTREAM_BODY_IDLE_TIMEOUT_MS), so a slow (or hostile) reader never holds an egress lane for
 * as long as it likes. Progress is the socket's written bytes, checked once per `idleMs`: a reader
 * whose socket moved nothing between two checks while bytes waited is cut, between one and two
 * idle times after it stopped. An answer that waits for the upstream (a quiet SSE stream) has
 * nothing waiting and is never cut for it.
 *
 * Every answer of the server is checked by one timer, armed while any is watched: a timer per
 * answer, set and cleared around nearly every one of them (they end long before `idleMs`), was
 * ~0.4 % of the server's CPU (bench/README.md "Profile").
 */
export class SlowReaders {
  readonly idleMs: number
  readonly #setTimer: SetTimer
  readonly #watched = new Set<Watched>()
  #cancelSweep: (() => void) | null = null
  #closed = false

  constructor(idleMs: number, setTimer: SetTimer) {
    this.idleMs = idleMs
    this.#setTimer = setTimer
  }

  watch(res: ServerResponse): SlowReaderWatch {
    const watched = this.#watched
    const watch: Watched = {
      cut: false,
      res,
      written: -1,
      stop: () => watched.delete(watch),
    }
    if (this.#closed) return watch
    watched.add(watch)
    if (this.#cancelSweep === null) this.#armSweep()
    return watch
  }

  /** No more checks (the server is closing): answers still being written are not cut. */
  close(): void {
    this.#closed = true
    this.#cancelSweep?.()
    this.#cancelSweep = null
    this.#watched.clear()
  }

  #armSweep(): void {
    this.#cancelSweep = this.#setTimer(() => {
      this.#cancelSweep = null
      for (const watch of this.#watched) check(watch)
      if (this.#watched.size > 0) this.#armSweep()
    }, this.idleMs)
  }
}

function check(watch: Watched): void {
  const { res } = watch
  const socket = res.socket
  if (socket === null || res.writableFinished) return
  const waiting = res.writableLength + socket.writableLength > 0
  const progress = socket.bytesWritten
  if (waiting && progress === watch.written) {
    watch.cut = true
    watch.stop()
    socket.destroy()
    return
  }
  watch.written = progress
}
