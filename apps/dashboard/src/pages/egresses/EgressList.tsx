import type { EgressView } from '@sfp/schemas'
import { egressAnchor, egressName } from '../../components/egress-name.js'
import { foreignFiguresNote, LaneDriverTag } from '../../components/LaneDriver.js'
import { RelativeTime } from '../../components/RelativeTime.js'
import { useI18n } from '../../i18n/I18nProvider.js'
import { KeyReference } from '../../key-directory/KeyReference.js'
import type { LaneDriver } from '../../live-status/lane-drivers.js'
import { EgressActions } from './EgressActions.js'
import { EgressAddress, EgressStateInfo, EgressTitle } from './EgressParts.js'

export interface EgressListProps {
  egresses: readonly EgressView[]
  builtinId: number | null
  /** Cluster mode: who drives each lane (from the live status); null in single mode. */
  drivers: ReadonlyMap<number, LaneDriver> | null
  clockOffsetMs: number
  onUpdated(egress: EgressView): void
  onDeleted(id: number): void
  onChecked(): void
}

/** Wide screens: one row per egress. */
export function EgressTable({
  egresses,
  builtinId,
  drivers,
  clockOffsetMs,
  ...handlers
}: EgressListProps) {
  const { t, format } = useI18n()
  return (
    <div className="table-scroll">
      <table className="table egress-table">
        <thead>
          <tr>
            <th scope="col">{t('egresses.col.egress')}</th>
            <th scope="col">{t('egresses.col.address')}</th>
            <th scope="col">{t('egresses.col.state')}</th>
            {drivers !== null && <th scope="col">{t('egresses.col.drivenBy')}</th>}
            <th scope="col">{t('egresses.col.key')}</th>
            <th scope="col" className="num">
              {t('egresses.col.inFlight')}
            </th>
            <th scope="col" className="num">
              {t('egresses.col.requests')}
            </th>
            <th scope="col">{t('egresses.col.lastUsed')}</th>
            <th scope="col">{t('col.actions')}</th>
          </tr>
        </thead>
        <tbody>
          {egresses.map((egress) => {
            const name = egressName(t, egress)
            const builtin = egress.id === builtinId
            const driver = drivers?.get(egress.id)
            const foreignNote = foreignFiguresNote(t, driver)
            return (
              <tr key={egress.id} id={egressAnchor(egress.id)} data-egress-id={egress.id}>
                <td>
                  <EgressTitle
                    egress={egress}
                    name={name}
                    builtin={builtin}
                    onUpdated={handlers.onUpdated}
                  />
                </td>
                <td className="egress-table__address">
                  <EgressAddress egress={egress} />
                </td>
                <td>
                  <EgressStateInfo egress={egress} clockOffsetMs={clockOffsetMs} />
                </td>
                {drivers !== null && (
                  <td>
                    <LaneDriverTag driver={driver} />
                  </td>
                )}
                <td>
                  <KeyReference keyId={egress.currentKeyId} />
                </td>
                <td
                  className={foreignNote === null ? 'num' : 'num figures--elsewhere'}
                  title={foreignNote ?? undefined}
                >
                  {format.number(egress.inFlight)}
                </td>
                <td className="num">
                  {t('egress.requestsErrors', {
                    requests: format.number(egress.requestCount),
                    errors: format.number(egress.errorCount),
                  })}
                </td>
                <td>
                  <RelativeTime iso={egress.lastUsedAt} />
                </td>
                <td>
                  <EgressActions egress={egress} name={name} builtin={builtin} {...handlers} />
                </td>
              </tr>
            )
          })}
        </tbody>
      </table>
    </div>
  )
}

/** Phones: one card per egress, nothing wider than the screen. */
export function EgressCards({
  egresses,
  builtinId,
  drivers,
  clockOffsetMs,
  ...handlers
}: EgressListProps) {
  const { t, format } = useI18n()
  return (
    <ul className="egress-cards">
      {egresses.map((egress) => {
        const name = egressName(t, egress)
        const builtin = egress.id === builtinId
        const driver = drivers?.get(egress.id)
        const foreignNote = foreignFiguresNote(t, driver)
        return (
          <li
            key={egress.id}
            id={egressAnchor(egress.id)}
            className="card egress-card"
            data-egress-id={egress.id}
          >
            <div className="egress-card__title">
              <EgressTitle
                egress={egress}
                name={name}
                builtin={builtin}
                onUpdated={handlers.onUpdated}
              />
            </div>
            <div className="egress-card__state">
              <EgressStateInfo egress={egress} clockOffsetMs={clockOffsetMs} />
            </div>
            <dl className="facts">
              <dt>{t('egresses.col.address')}</dt>
              <dd>
                <EgressAddress egress={egress} />
              </dd>
              {drivers !== null && (
                <>
                  <dt>{t('egresses.col.drivenBy')}</dt>
                  <dd>
                    <LaneDriverTag driver={driver} />
                  </dd>
                </>
              )}
              <dt>{t('egresses.col.key')}</dt>
              <dd>
                <KeyReference keyId={egress.currentKeyId} />
              </dd>
              <dt>{t('egresses.col.inFlight')}</dt>
              <dd
                className={foreignNote === null ? undefined : 'figures--elsewhere'}
                title={foreignNote ?? undefined}
              >
                {format.number(egress.inFlight)}
              </dd>
              <dt>{t('egresses.col.requests')}</dt>
              <dd>
                {t('egress.requestsErrors', {
                  requests: format.number(egress.requestCount),
                  errors: format.number(egress.errorCount),
                })}
              </dd>
              <dt>{t('egresses.col.lastUsed')}</dt>
              <dd>
                <RelativeTime iso={egress.lastUsedAt} />
              </dd>
            </dl>
            <EgressActions egress={egress} name={name} builtin={builtin} {...handlers} />
          </li>
        )
      })}
    </ul>
  )
}
