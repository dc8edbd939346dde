import { RelativeTime } from '../../components/RelativeTime.js'
import { StatusBadge } from '../../components/StatusBadge.js'
import { useI18n } from '../../i18n/I18nProvider.js'
import { useKeyDirectory } from '../../key-directory/KeyDirectoryProvider.js'
import { KeyReference } from '../../key-directory/KeyReference.js'

export function CurrentKeyCard({ keyId }: { keyId: number | null }) {
  const { t, format } = useI18n()
  const key = useKeyDirectory().byId.get(keyId ?? -1)
  return (
    <section className="card card--accent" aria-labelledby="current-title">
      <h2 id="current-title" className="card__title">
        {t('current.title')}
      </h2>
      {keyId === null ? (
        <p className="notice notice--warning">{t('current.none')}</p>
      ) : (
        <>
          <p className="current-key">
            <KeyReference keyId={keyId} /> {key && <StatusBadge status={key.status} />}
          </p>
          {key && (
            <dl className="facts">
              <dt>{t('current.balance')}</dt>
              <dd>
                {key.balance === null ? t('common.unknown') : format.money(key.balance)}{' '}
                {key.balanceCheckedAt && (
                  <span className="muted">
                    (<RelativeTime iso={key.balanceCheckedAt} />)
                  </span>
                )}
              </dd>
              <dt>{t('current.lastUsed')}</dt>
              <dd>
                <RelativeTime iso={key.lastUsedAt} />
              </dd>
            </dl>
          )}
        </>
      )}
    </section>
  )
}
