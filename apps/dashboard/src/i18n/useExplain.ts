import type { Explanation } from '@sfp/schemas'
import { useCallback } from 'react'
import { renderExplanation } from './explanations.js'
import { useI18n } from './I18nProvider.js'

/**
 * Render a server explanation in the reader's language. `fallback` is the server's English text,
 * shown only for rows stored before explanations had codes (or of a code this build lacks).
 */
export function useExplain(): (
  explained: Explanation | null | undefined,
  fallback: string | null,
) => string | null {
  const { language, format } = useI18n()
  return useCallback(
    (explained, fallback) =>
      explained ? renderExplanation(language, format, explained) : fallback,
    [language, format],
  )
}
