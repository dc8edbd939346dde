import { useMemo } from 'react'
import { egressName } from '../components/egress-name.js'
import { useI18n } from '../i18n/I18nProvider.js'
import { useLiveStatus } from './LiveStatusProvider.js'

/**
 * The label of every egress lane by id, from the live status (no extra request). Stable while the
 * lanes and their labels stay the same, so memoized rows do not re-render on every status.
 */
export function useEgressLabels(): ReadonlyMap<number, string | null> {
  const { status } = useLiveStatus()
  const signature = JSON.stringify(status?.egresses.map((lane) => [lane.id, lane.label]) ?? [])
  return useMemo(() => new Map(JSON.parse(signature) as [number, string | null][]), [signature])
}

/** A key's egress lane: its label (and `#id`) when the status names it, else `出口 #id`. */
export function EgressReference({ egressId }: { egressId: number | null }) {
  const { t } = useI18n()
  const labels = useEgressLabels()
  if (egressId === null) return <span className="muted">—</span>
  const name = egressName(t, { id: egressId, label: labels.get(egressId) ?? null })
  return (
    <span className="egress-ref">
      {name}
      {name !== t('egress.name', { id: egressId }) && <span className="muted"> #{egressId}</span>}
    </span>
  )
}
