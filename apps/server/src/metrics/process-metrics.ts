import { collectDefaultMetrics, Registry } from 'prom-client'

/** Every metric name of this server starts with it. */
export const METRIC_PREFIX = 'sfp_'

let processRegistry: Registry | undefined

/**
 * Node's own metrics (CPU, memory, event loop lag, GC, handles), collected once per process.
 * `collectDefaultMetrics` starts a GC observer and an event-loop-delay monitor that prom-client
 * gives no way to stop, so one set per app instance would pile up wherever several instances
 * live in one process (the tests build dozens). They describe the process, not an app instance,
 * so every instance serves this same set, merged into its own registry.
 */
export function processMetricsRegistry(): Registry {
  if (processRegistry === undefined) {
    processRegistry = new Registry()
    collectDefaultMetrics({ register: processRegistry, prefix: METRIC_PREFIX })
  }
  return processRegistry
}
