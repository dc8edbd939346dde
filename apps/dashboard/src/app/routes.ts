import { type ComponentType, lazy } from 'react'
import type { MessageKey } from '../i18n/catalog.js'
import { OverviewPage } from '../pages/overview/OverviewPage.js'

export interface AppRoute {
  path: string
  label: MessageKey
  Page: ComponentType
}

/** Everything but the first screen loads on first visit, keeping the initial bundle small. */
const KeysPage = lazy(() =>
  import('../pages/keys/KeysPage.js').then((m) => ({ default: m.KeysPage })),
)
const EgressesPage = lazy(() =>
  import('../pages/egresses/EgressesPage.js').then((m) => ({ default: m.EgressesPage })),
)
const LogsPage = lazy(() =>
  import('../pages/logs/LogsPage.js').then((m) => ({ default: m.LogsPage })),
)
const ClientKeysPage = lazy(() =>
  import('../pages/client-keys/ClientKeysPage.js').then((m) => ({ default: m.ClientKeysPage })),
)
const NotificationsPage = lazy(() =>
  import('../pages/notifications/NotificationsPage.js').then((m) => ({
    default: m.NotificationsPage,
  })),
)
const SettingsPage = lazy(() =>
  import('../pages/settings/SettingsPage.js').then((m) => ({ default: m.SettingsPage })),
)

export const ROUTES: readonly AppRoute[] = [
  { path: '/', label: 'nav.overview', Page: OverviewPage },
  { path: '/keys', label: 'nav.keys', Page: KeysPage },
  { path: '/egresses', label: 'nav.egresses', Page: EgressesPage },
  { path: '/logs', label: 'nav.logs', Page: LogsPage },
  { path: '/client-keys', label: 'nav.clientKeys', Page: ClientKeysPage },
  { path: '/notifications', label: 'nav.notifications', Page: NotificationsPage },
  { path: '/settings', label: 'nav.settings', Page: SettingsPage },
]

export function findRoute(pathname: string): AppRoute | undefined {
  return ROUTES.find((route) => route.path === pathname)
}
