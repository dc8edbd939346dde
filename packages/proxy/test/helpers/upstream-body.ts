import type { Dispatcher } from 'undici'
import { UpstreamBody } from '../../src/upstream-body.js'

/**
 * An `UpstreamBody` driven by hand, as undici's dispatch handler drives the real one: the
 * controller records pauses and aborts, and an abort fails the body as undici does.
 */
export function handDrivenBody() {
  const seen = { pauses: 0, resumes: 0, aborted: null as Error | null }
  let paused = false
  let body: UpstreamBody | undefined
  const controller: Dispatcher.DispatchController = {
    get aborted() {
      return seen.aborted !== null
    },
    get paused() {
      return paused
    },
    get reason() {
      return seen.aborted
    },
    abort(reason) {
      if (seen.aborted !== null) return
      seen.aborted = reason
      body?.fail(reason)
    },
    pause() {
      paused = true
      seen.pauses += 1
    },
    resume() {
      if (!paused) return
      paused = false
      seen.resumes += 1
    },
  }
  body = new UpstreamBody(controller)
  return {
    body,
    seen,
    paused: () => paused,
    /** Each chunk, then the end, one turn of the event loop apart. */
    async feed(chunks: readonly (string | Buffer)[]): Promise<void> {
      for (const chunk of chunks) {
        await new Promise((resolve) => setImmediate(resolve))
        body.data(Buffer.from(chunk))
      }
      await new Promise((resolve) => setImmediate(resolve))
      body.end()
    },
  }
}
