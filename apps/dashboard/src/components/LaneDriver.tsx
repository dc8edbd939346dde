import type { Translate } from '../i18n/catalog.js'
import { useI18n } from '../i18n/I18nProvider.js'
import type { LaneDriver } from '../live-status/lane-drivers.js'

/** The instance driving a lane (cluster mode): its id, tagged when it is this one. */
export function LaneDriverTag({ driver }: { driver: LaneDriver | undefined }) {
  const { t } = useI18n()
  if (driver === undefined) return <span className="muted">—</span>
  if (driver.kind === 'nobody') return <span className="muted">{t('lanes.notDriven')}</span>
  return <InstanceName id={driver.instanceId} self={driver.kind === 'self'} />
}

/** An instance by its INSTANCE_ID, tagged when it is the one answering this page. */
export function InstanceName({ id, self }: { id: string; self: boolean }) {
  const { t } = useI18n()
  return (
    <span className="instance-name">
      <code className="instance-id">{id}</code>
      {self && (
        <span className="tag tag--current" title={t('instances.selfNote')}>
          {t('instances.self')}
        </span>
      )}
    </span>
  )
}

/**
 * Why a lane's slots and in-flight figures are not this instance's, for a tooltip; null when they
 * are (single mode, or this instance drives the lane).
 */
export function foreignFiguresNote(t: Translate, driver: LaneDriver | null | undefined) {
  if (driver === null || driver === undefined || driver.kind === 'self') return null
  return driver.kind === 'nobody'
    ? t('lanes.figuresNobody')
    : t('lanes.figuresElsewhere', { id: driver.instanceId })
}
