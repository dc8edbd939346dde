import type { DispatchStatus } from '@sfp/schemas'
import { useI18n } from '../../i18n/I18nProvider.js'

export function DispatchCard({ dispatch }: { dispatch: DispatchStatus }) {
  const { t, format } = useI18n()
  const busy = dispatch.queued > 0
  return (
    <section className="card" aria-labelledby="dispatch-title">
      <h2 id="dispatch-title" className="card__title">
        {t('dispatch.title')}
      </h2>
      <dl className="stat-grid">
        <div>
          <dt>{t('dispatch.inFlight')}</dt>
          <dd className="stat">
            {t('dispatch.ofMax', { value: dispatch.inFlight, max: dispatch.concurrency })}
          </dd>
        </div>
        <div>
          <dt>{t('dispatch.queued')}</dt>
          <dd className={`stat ${busy ? 'stat--warning' : ''}`}>
            {t('dispatch.ofMax', { value: dispatch.queued, max: dispatch.queueMax })}
          </dd>
        </div>
        <div>
          <dt>{t('dispatch.oldestWait')}</dt>
          <dd className="stat">{busy ? format.duration(dispatch.oldestWaitMs) : '—'}</dd>
        </div>
      </dl>
    </section>
  )
}
