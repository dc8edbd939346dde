import { useMemo, useSyncExternalStore } from 'react'

/** pushState fires no event of its own; navigate() announces itself with this one. */
const NAVIGATE_EVENT = 'sfp:navigate'

export function navigate(to: string, { replace = false }: { replace?: boolean } = {}): void {
  const current = window.location.pathname + window.location.search
  if (to === current) return
  if (replace) window.history.replaceState(null, '', to)
  else window.history.pushState(null, '', to)
  window.dispatchEvent(new Event(NAVIGATE_EVENT))
}

function subscribe(onChange: () => void): () => void {
  window.addEventListener('popstate', onChange)
  window.addEventListener(NAVIGATE_EVENT, onChange)
  return () => {
    window.removeEventListener('popstate', onChange)
    window.removeEventListener(NAVIGATE_EVENT, onChange)
  }
}

function snapshot(): string {
  return window.location.pathname + window.location.search
}

export interface RouterLocation {
  pathname: string
  search: URLSearchParams
}

/** The current path and query, re-rendering on navigate() and on back/forward. */
export function useLocation(): RouterLocation {
  const href = useSyncExternalStore(subscribe, snapshot)
  return useMemo(() => {
    const url = new URL(href, 'http://local')
    return { pathname: url.pathname.replace(/\/+$/, '') || '/', search: url.searchParams }
  }, [href])
}
