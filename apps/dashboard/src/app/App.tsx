import { SessionProvider, useSession } from '../auth/SessionProvider.js'
import { ToastProvider } from '../components/ToastProvider.js'
import { I18nProvider } from '../i18n/I18nProvider.js'
import { KeyDirectoryProvider } from '../key-directory/KeyDirectoryProvider.js'
import { LiveStatusProvider } from '../live-status/LiveStatusProvider.js'
import { Shell } from './Shell.js'

export function App() {
  return (
    <I18nProvider>
      <ToastProvider>
        <SessionProvider>
          <SignedInApp />
        </SessionProvider>
      </ToastProvider>
    </I18nProvider>
  )
}

function SignedInApp() {
  const { api } = useSession()
  return (
    <LiveStatusProvider api={api}>
      <KeyDirectoryProvider api={api}>
        <Shell />
      </KeyDirectoryProvider>
    </LiveStatusProvider>
  )
}
