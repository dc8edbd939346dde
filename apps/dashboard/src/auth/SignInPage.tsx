import { useI18n } from '../i18n/I18nProvider.js'
import { LanguageSwitch } from '../i18n/LanguageSwitch.js'
import { ThemeSwitch } from '../theme/ThemeSwitch.js'
import { SignInForm } from './SignInForm.js'
import './sign-in.css'

export function SignInPage(props: { onSignedIn(authorization: string): void; expired: boolean }) {
  const { t } = useI18n()
  return (
    <div className="sign-in-page">
      <header className="sign-in-page__bar">
        <span className="brand">
          <span className="brand__name">{t('app.name')}</span>
          <span className="brand__tagline">{t('app.tagline')}</span>
        </span>
        <span className="toolbar">
          <ThemeSwitch />
          <LanguageSwitch />
        </span>
      </header>
      <main className="sign-in-page__main">
        <SignInForm {...props} />
      </main>
    </div>
  )
}
