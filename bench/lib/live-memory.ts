import type { ProductionServer } from '../targets/production-server.js'
import { residentBytes } from './processes.js'

/** Server memory after a full garbage collection: what is live, not garbage's timing. */
export interface LiveMemory {
  rssBytes: number
  heapUsedBytes: number
}

export async function liveMemory(server: ProductionServer): Promise<LiveMemory> {
  const { heapUsed } = await server.collectAndReadMemory()
  return { rssBytes: residentBytes(server.process.pid), heapUsedBytes: heapUsed }
}
