import { useAdminApi } from '../../auth/SessionProvider.js'
import { ErrorNotice } from '../../components/ErrorNotice.js'
import { KeyEventList } from '../../components/KeyEventList.js'
import { useApiResource } from '../../hooks/useApiResource.js'
import { useI18n } from '../../i18n/I18nProvider.js'

const SHOWN = 15

/** Reloaded when `changeSignature` changes: events follow pool changes seen on the stream. */
export function RecentKeyEvents({ changeSignature }: { changeSignature: string }) {
  const { t } = useI18n()
  const api = useAdminApi()
  const events = useApiResource(
    (signal) => api.keyEvents({ limit: SHOWN }, signal),
    [api, changeSignature],
  )
  return (
    <section className="card card--wide" aria-labelledby="events-title">
      <h2 id="events-title" className="card__title">
        {t('events.title')}
      </h2>
      <ErrorNotice error={events.error} />
      {events.data ? (
        <KeyEventList events={events.data.events} />
      ) : (
        !events.error && <p className="muted">{t('common.loading')}</p>
      )}
    </section>
  )
}
