import { createContext, type ReactNode, use, useCallback, useMemo, useState } from 'react'
import { type AdminApi, createAdminApi } from '../api/admin-api.js'
import { clearAuthorization, loadAuthorization, saveAuthorization } from '../api/credentials.js'
import { createHttpClient } from '../api/http-client.js'
import { SignInPage } from './SignInPage.js'

interface Session {
  api: AdminApi
  signOut(): void
}

const SessionContext = createContext<Session | null>(null)

/**
 * Shows the sign-in page until there is a verified login, then provides the admin API to the
 * rest of the app. Any 401 from any call ends the session and comes back here.
 */
export function SessionProvider({ children }: { children: ReactNode }) {
  const [authorization, setAuthorization] = useState<string | null>(loadAuthorization)
  const [expired, setExpired] = useState(false)

  const end = useCallback((becauseExpired: boolean) => {
    clearAuthorization()
    setExpired(becauseExpired)
    setAuthorization(null)
  }, [])

  const session = useMemo<Session | null>(() => {
    if (authorization === null) return null
    const http = createHttpClient({ authorization, onUnauthorized: () => end(true) })
    return { api: createAdminApi(http), signOut: () => end(false) }
  }, [authorization, end])

  if (session === null) {
    return (
      <SignInPage
        expired={expired}
        onSignedIn={(verified) => {
          saveAuthorization(verified)
          setExpired(false)
          setAuthorization(verified)
        }}
      />
    )
  }
  return <SessionContext value={session}>{children}</SessionContext>
}

export function useSession(): Session {
  const session = use(SessionContext)
  if (!session) throw new Error('useSession needs a signed-in <SessionProvider> above it')
  return session
}

export function useAdminApi(): AdminApi {
  return useSession().api
}
