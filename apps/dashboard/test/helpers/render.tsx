import { type RenderResult, render } from '@testing-library/react'
import type { ReactNode } from 'react'
import { basicAuthorization, saveAuthorization } from '../../src/api/credentials.js'
import { SessionProvider, useSession } from '../../src/auth/SessionProvider.js'
import { ToastProvider } from '../../src/components/ToastProvider.js'
import { I18nProvider } from '../../src/i18n/I18nProvider.js'
import type { Language } from '../../src/i18n/language.js'
import { KeyDirectoryProvider } from '../../src/key-directory/KeyDirectoryProvider.js'
import { LiveStatusProvider } from '../../src/live-status/LiveStatusProvider.js'

interface Options {
  language?: Language
  /** Also mount the status stream and key directory (they call /events, /status, /api-keys). */
  live?: boolean
}

/** Renders inside the app's providers, signed in as admin:secret. */
export function renderSignedIn(
  ui: ReactNode,
  { language = 'zh', live = false }: Options = {},
): RenderResult {
  saveAuthorization(basicAuthorization('admin', 'secret'))
  return render(
    <I18nProvider initialLanguage={language}>
      <ToastProvider>
        <SessionProvider>{live ? <Live>{ui}</Live> : ui}</SessionProvider>
      </ToastProvider>
    </I18nProvider>,
  )
}

function Live({ children }: { children: ReactNode }) {
  const { api } = useSession()
  return (
    <LiveStatusProvider api={api}>
      <KeyDirectoryProvider api={api}>{children}</KeyDirectoryProvider>
    </LiveStatusProvider>
  )
}

export function renderWithI18n(ui: ReactNode, language: Language = 'zh'): RenderResult {
  return render(
    <I18nProvider initialLanguage={language}>
      <ToastProvider>{ui}</ToastProvider>
    </I18nProvider>,
  )
}
