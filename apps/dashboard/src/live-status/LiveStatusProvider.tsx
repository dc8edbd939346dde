import type { StatusView } from '@sfp/schemas'
import { createContext, type ReactNode, use, useEffect, useState } from 'react'
import type { AdminApi } from '../api/admin-api.js'
import { runStatusStream, type StatusStreamMode } from '../api/status-stream.js'
import { serverClockOffsetMs } from './server-clock.js'

export interface LiveStatus {
  status: StatusView | null
  mode: StatusStreamMode
  /** Add to Date.now() to get the server's time. */
  clockOffsetMs: number
}

const LiveStatusContext = createContext<LiveStatus | null>(null)

/** One status stream for the whole signed-in app, closed on sign-out. */
export function LiveStatusProvider({ api, children }: { api: AdminApi; children: ReactNode }) {
  const [live, setLive] = useState<LiveStatus>({
    status: null,
    mode: 'connecting',
    clockOffsetMs: 0,
  })

  useEffect(() => {
    const controller = new AbortController()
    void runStatusStream({
      signal: controller.signal,
      openStream: (signal) => api.openEvents(signal),
      fetchStatus: (signal) => api.status(signal),
      onStatus: (status) =>
        setLive((current) => ({ ...current, status, clockOffsetMs: serverClockOffsetMs(status) })),
      onMode: (mode) =>
        setLive((current) => (current.mode === mode ? current : { ...current, mode })),
    })
    return () => controller.abort()
  }, [api])

  return <LiveStatusContext value={live}>{children}</LiveStatusContext>
}

export function useLiveStatus(): LiveStatus {
  const live = use(LiveStatusContext)
  if (!live) throw new Error('useLiveStatus needs a <LiveStatusProvider> above it')
  return live
}
