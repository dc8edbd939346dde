import { emptyStatusCounts } from '@sfp/schemas'
import type { ServerMetricsDeps } from '../../src/metrics/server-metrics.js'

/** A value shaped like a model id that `isSecret` says is a secret: it must never be a label. */
export const SECRET_SHAPED_LIKE_A_MODEL = 'acme/not-a-model-but-a-key-7f3a'

/**
 * What `createServerMetrics` reads at scrape time, for a server with nothing going on; the
 * request-log backlog is `backlog`, which a test may change between scrapes.
 */
export function fakeSources() {
  const backlog = { pendingRows: 0, droppedRows: 0 }
  const sources: ServerMetricsDeps = {
    dispatchStatus: () => ({
      concurrency: 1,
      inFlight: 0,
      queued: 0,
      queueMax: 100,
      oldestWaitMs: 0,
    }),
    laneStatus: () => [],
    poolStatus: () => ({
      total: 0,
      byStatus: emptyStatusCounts(),
      totalBalance: null,
      currentKeyId: null,
    }),
    requestLogBacklog: { pending: () => backlog.pendingRows, dropped: () => backlog.droppedRows },
    isSecret: (value) => value === SECRET_SHAPED_LIKE_A_MODEL,
  }
  return { sources, backlog }
}
