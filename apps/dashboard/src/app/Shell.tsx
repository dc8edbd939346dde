import { Suspense, useEffect, useRef } from 'react'
import { useSession } from '../auth/SessionProvider.js'
import { useI18n } from '../i18n/I18nProvider.js'
import { LanguageSwitch } from '../i18n/LanguageSwitch.js'
import { useLiveStatus } from '../live-status/LiveStatusProvider.js'
import { useLocation } from '../router/history-router.js'
import { Link } from '../router/Link.js'
import { ThemeSwitch } from '../theme/ThemeSwitch.js'
import { NotFoundPage } from './NotFoundPage.js'
import { findRoute, ROUTES } from './routes.js'
import './shell.css'

export function Shell() {
  const { t, format } = useI18n()
  const { signOut } = useSession()
  const { status, mode } = useLiveStatus()
  const { pathname } = useLocation()
  const route = findRoute(pathname)
  const mainRef = useRef<HTMLElement>(null)
  const firstRender = useRef(true)

  // After in-page navigation, move focus to the new content so screen readers read it.
  useEffect(() => {
    document.title = `${route ? t(route.label) : t('common.notFoundTitle')} · ${t('app.name')}`
    if (firstRender.current) {
      firstRender.current = false
      return
    }
    mainRef.current?.focus()
  }, [route, t])

  const Page = route?.Page ?? NotFoundPage
  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        {t('app.skipToContent')}
      </a>
      <header className="shell__header">
        <Link to="/" className="brand">
          <span className="brand__name">{t('app.name')}</span>
          <span className="brand__tagline">{t('app.tagline')}</span>
        </Link>
        <span className={`live-indicator live-indicator--${mode}`} role="status">
          {t(`live.${mode}` as const)}
        </span>
        <span className="toolbar">
          <ThemeSwitch />
          <LanguageSwitch />
          <button type="button" className="button button--ghost" onClick={signOut}>
            {t('shell.signOut')}
          </button>
        </span>
      </header>
      <nav className="shell__nav" aria-label={t('nav.label')}>
        <ul>
          {ROUTES.map(({ path, label }) => (
            <li key={path}>
              <Link to={path} aria-current={path === pathname ? 'page' : undefined}>
                {t(label)}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" ref={mainRef} tabIndex={-1} className="shell__main">
        <Suspense fallback={<p className="muted">{t('common.loading')}</p>}>
          <Page />
        </Suspense>
      </main>
      {status && (
        <footer className="shell__footer muted">
          {t('shell.version', {
            version: status.version,
            uptime: format.duration(status.uptimeSeconds * 1000),
          })}
        </footer>
      )}
    </div>
  )
}
