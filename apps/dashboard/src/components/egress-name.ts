import type { Translate } from '../i18n/catalog.js'

/** An egress by its label, or `出口 #3` / `Egress #3` without one. Never its URL. */
export function egressName(t: Translate, egress: { id: number; label: string | null }): string {
  const label = egress.label?.trim()
  return label ? label : t('egress.name', { id: egress.id })
}

/** The element id of an egress on the Egress page, for links to it (`/egresses#egress-3`). */
export function egressAnchor(id: number): string {
  return `egress-${id}`
}
