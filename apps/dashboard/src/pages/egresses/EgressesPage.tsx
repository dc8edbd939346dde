import type { EgressView } from '@sfp/schemas'
import { useCallback, useEffect, useRef } from 'react'
import { ErrorNotice } from '../../components/ErrorNotice.js'
import { useMediaQuery } from '../../hooks/useMediaQuery.js'
import { useRefreshOnActivity } from '../../hooks/useRefreshOnActivity.js'
import { useI18n } from '../../i18n/I18nProvider.js'
import { useLiveStatus } from '../../live-status/LiveStatusProvider.js'
import { laneDrivers } from '../../live-status/lane-drivers.js'
import { AddEgressForm } from './AddEgressForm.js'
import { EgressCards, EgressTable } from './EgressList.js'
import { builtinEgressId } from './egress-problems.js'
import { laneSignature } from './lane-signature.js'
import { useEgressList } from './useEgressList.js'
import './egresses.css'

/** Below this width the egresses are cards instead of a table. */
const PHONE_QUERY = '(max-width: 720px)'
/**
 * Lane changes on the status stream (states, keys, requests in flight) reload the list: at most
 * every 2 s, a moment after the change that started it.
 */
const LANE_REFRESH = { minIntervalMs: 2000, settleMs: 250 }

/** The ways out to SiliconFlow: add by URL, see each lane's state, check, disable, delete. */
export function EgressesPage() {
  const { t } = useI18n()
  const { status, clockOffsetMs } = useLiveStatus()
  const list = useEgressList()
  const { reload, upsert, remove } = list
  useRefreshOnActivity(status ? laneSignature(status) : null, reload, LANE_REFRESH)
  const phone = useMediaQuery(PHONE_QUERY)
  const egresses = list.egresses ?? []
  useScrollToLinkedEgress(list.egresses !== null)

  const onAdded = useCallback(
    (egress: EgressView) => {
      upsert(egress)
      reload()
    },
    [upsert, reload],
  )
  const onUpdated = useCallback(
    (egress: EgressView) => {
      upsert(egress)
      reload()
    },
    [upsert, reload],
  )
  const onDeleted = useCallback(
    (id: number) => {
      remove(id)
      reload()
    },
    [remove, reload],
  )

  const listProps = {
    egresses,
    builtinId: builtinEgressId(egresses),
    drivers: laneDrivers(status),
    clockOffsetMs,
    onUpdated,
    onDeleted,
    onChecked: reload,
  }
  return (
    <section className="page" aria-labelledby="egresses-title">
      <div className="page__heading">
        <h1 id="egresses-title">{t('egresses.title')}</h1>
        <button type="button" className="button" onClick={reload} disabled={list.loading}>
          {list.loading ? t('common.loading') : t('common.refresh')}
        </button>
      </div>
      <div className="egresses-intro">
        <p>{t('egresses.intro')}</p>
        <p className="muted">{t('egresses.checkNote')}</p>
      </div>
      <AddEgressForm onAdded={onAdded} />
      <section aria-labelledby="egress-list-title">
        <h2 id="egress-list-title" className="section-title">
          {t('egresses.list')}
        </h2>
        <ErrorNotice error={list.error} />
        {list.egresses !== null && egresses.length === 0 && (
          <p className="notice notice--info">{t('egresses.empty')}</p>
        )}
        {list.egresses === null && !list.error && <p className="muted">{t('common.loading')}</p>}
        {egresses.length > 0 &&
          (phone ? <EgressCards {...listProps} /> : <EgressTable {...listProps} />)}
      </section>
    </section>
  )
}

/**
 * Brings the egress the address names (`#egress-3`: the overview's instances card links there)
 * into view once the list first shows; pushState does not scroll by itself.
 */
function useScrollToLinkedEgress(listed: boolean) {
  const scrolled = useRef(false)
  useEffect(() => {
    if (!listed || scrolled.current) return
    scrolled.current = true
    const anchor = window.location.hash.slice(1)
    if (anchor !== '') document.getElementById(anchor)?.scrollIntoView({ block: 'center' })
  }, [listed])
}
