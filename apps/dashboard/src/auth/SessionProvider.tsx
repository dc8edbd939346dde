import { createContext, type ReactNode, use, useCallback, useMemo, useRef, useState } from 'react'
import { type AdminApi, createAdminApi } from '../api/admin-api.js'
import { isApiError } from '../api/api-error.js'
import {
  ADMIN_USER,
  basicAuthorization,
  clearAuthorization,
  loadAuthorization,
  saveAuthorization,
} from '../api/credentials.js'
import { createHttpClient } from '../api/http-client.js'
import { SignInPage } from './SignInPage.js'

interface Session {
  api: AdminApi
  signOut(): void
  /**
   * Changes the admin password and keeps this browser signed in with the new one; every other
   * browser holding the old one gets 401 on its next call and sees the sign-in page.
   */
  changePassword(currentPassword: string, newPassword: string): Promise<void>
}

const SessionContext = createContext<Session | null>(null)

/**
 * Shows the sign-in page until there is a verified login, then provides the admin API to the
 * rest of the app. Any 401 from any call ends the session and comes back here.
 */
export function SessionProvider({ children }: { children: ReactNode }) {
  const [authorization, setAuthorization] = useState<string | null>(loadAuthorization)
  const [expired, setExpired] = useState(false)

  /** The login in use now; calls made with an older one do not end the session on a 401. */
  const current = useRef(authorization)
  /** A password change is in flight: a 401 meanwhile may be the change overtaking a call. */
  const changing = useRef(false)

  const end = useCallback((becauseExpired: boolean) => {
    current.current = null
    clearAuthorization()
    setExpired(becauseExpired)
    setAuthorization(null)
  }, [])

  const begin = useCallback((verified: string) => {
    current.current = verified
    saveAuthorization(verified)
    setExpired(false)
    setAuthorization(verified)
  }, [])

  const session = useMemo<Session | null>(() => {
    if (authorization === null) return null
    const http = createHttpClient({
      authorization,
      onUnauthorized: () => {
        if (changing.current || current.current !== authorization) return
        end(true)
      },
    })
    const api = createAdminApi(http)
    return {
      api,
      signOut: () => end(false),
      async changePassword(currentPassword, newPassword) {
        changing.current = true
        try {
          await api.changeAdminPassword({ currentPassword, newPassword })
        } catch (error) {
          changing.current = false
          // This browser's own login no longer works (changed elsewhere): back to sign-in.
          if (isApiError(error) && error.status === 401) end(true)
          throw error
        }
        changing.current = false
        begin(basicAuthorization(ADMIN_USER, newPassword))
      },
    }
  }, [authorization, end, begin])

  if (session === null) {
    return <SignInPage expired={expired} onSignedIn={begin} />
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
