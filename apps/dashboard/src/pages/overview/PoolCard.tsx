import { KEY_STATUS_LABELS, KEY_STATUSES, type PoolStatus } from '@sfp/schemas'
import { StatusBadge } from '../../components/StatusBadge.js'
import { useI18n } from '../../i18n/I18nProvider.js'
import { Link } from '../../router/Link.js'

/** Keys per state, each a link to the Keys page filtered by that state. */
export function PoolCard({ pool }: { pool: PoolStatus }) {
  const { t, format, language } = useI18n()
  return (
    <section className="card" aria-labelledby="pool-title">
      <h2 id="pool-title" className="card__title">
        {t('pool.title')}
      </h2>
      <dl className="stat-grid">
        <div>
          <dt>{t('nav.keys')}</dt>
          <dd className="stat">{t('pool.total', { count: format.number(pool.total) })}</dd>
        </div>
        <div>
          <dt>{t('pool.totalBalance')}</dt>
          <dd className="stat">
            {pool.totalBalance === null ? t('common.unknown') : format.money(pool.totalBalance)}
          </dd>
        </div>
      </dl>
      <ul className="state-counts" aria-label={t('pool.countsLabel')}>
        {KEY_STATUSES.map((status) => (
          <li key={status}>
            <Link
              to={`/keys?status=${status}`}
              className="state-counts__link"
              title={t('pool.showKeys', { state: KEY_STATUS_LABELS[status][language] })}
            >
              <StatusBadge status={status} />
              <span className="state-counts__count">
                {format.number(pool.byStatus[status] ?? 0)}
              </span>
            </Link>
          </li>
        ))}
      </ul>
    </section>
  )
}
