import type { PatchKeyBody } from '@sfp/schemas'
import { useState } from 'react'
import { useAdminApi } from '../../auth/SessionProvider.js'
import { useToast } from '../../components/ToastProvider.js'
import { useKeyDirectory } from '../../key-directory/KeyDirectoryProvider.js'

export interface KeyPatch {
  busy: boolean
  /** The last save's failure, for an `ErrorNotice`; cleared when the next save starts. */
  error: unknown
  /** Resolves to whether it was saved: the key directory holds the new view, a toast said so. */
  save(patch: PatchKeyBody, savedMessage: string): Promise<boolean>
}

/** Saving one field of an upstream key from the key's small forms (label, balance). */
export function useKeyPatch(keyId: number): KeyPatch {
  const api = useAdminApi()
  const toast = useToast()
  const { upsert } = useKeyDirectory()
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(null)

  async function save(patch: PatchKeyBody, savedMessage: string): Promise<boolean> {
    setBusy(true)
    setError(null)
    try {
      upsert(await api.patchKey(keyId, patch))
      toast('success', savedMessage)
      return true
    } catch (failure) {
      setError(failure)
      return false
    } finally {
      setBusy(false)
    }
  }

  return { busy, error, save }
}
