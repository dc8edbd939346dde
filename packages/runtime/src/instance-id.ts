import { hostname } from 'node:os'

/**
 * This instance's name in a cluster (INSTANCE_ID, docs/behaviour.md §9): the setting, else the
 * host name, which is stable across restarts of one container or machine. Host names outside
 * INSTANCE_ID's alphabet are folded into it.
 */
export function instanceIdOf(configured: string | undefined): string {
  if (configured) return configured
  const name = hostname()
    .replace(/[^\w.-]/g, '-')
    .slice(0, 64)
  return name === '' ? 'instance' : name
}
