import { useI18n } from '../i18n/I18nProvider.js'
import { Link } from '../router/Link.js'

export function NotFoundPage() {
  const { t } = useI18n()
  return (
    <section className="page">
      <h1>{t('common.notFoundTitle')}</h1>
      <p>
        <Link to="/">{t('common.backHome')}</Link>
      </p>
    </section>
  )
}
