import { type RefObject, useCallback, useEffect, useState } from 'react'

/**
 * Focus for a refused send: the returned function moves it to the form's first invalid field once
 * the render that marks the field invalid is done (at the time of the submit it is not yet).
 */
export function useFocusFirstProblem(form: RefObject<HTMLFormElement | null>): () => void {
  const [requests, setRequests] = useState(0)
  useEffect(() => {
    if (requests === 0) return
    form.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus()
  }, [requests, form])
  return useCallback(() => setRequests((count) => count + 1), [])
}
