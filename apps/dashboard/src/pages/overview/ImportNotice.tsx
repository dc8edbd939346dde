import type { LegacyImportNote } from '@sfp/schemas'
import { useState } from 'react'
import { useAdminApi } from '../../auth/SessionProvider.js'
import { useApiResource } from '../../hooks/useApiResource.js'
import { useI18n } from '../../i18n/I18nProvider.js'

/**
 * What the import of the old siliconflowProxy database brought over, shown until the admin
 * dismisses it (then never again, in any browser). Nothing at all when there was no import or
 * the summary cannot be loaded: it is a courtesy, not something to fail the overview over.
 */
export function ImportNotice() {
  const { t, format } = useI18n()
  const api = useAdminApi()
  const resource = useApiResource((signal) => api.legacyImport(signal), [api])
  const [hidden, setHidden] = useState(false)
  const [dismissing, setDismissing] = useState(false)
  const summary = resource.data?.summary
  if (hidden || !summary || resource.data?.dismissed) return null

  const dismiss = async () => {
    setDismissing(true)
    try {
      await api.dismissLegacyImport()
    } catch {
      // Hidden here anyway; it shows again on the next visit, and dismissing can be retried.
    }
    setHidden(true)
  }
  const noteText = (note: LegacyImportNote) => t(`import.note.${note.code}`)
  const { keys, egresses } = summary

  return (
    <section className="notice notice--info import-notice" aria-labelledby="import-notice-title">
      <p id="import-notice-title" className="notice__subtitle">
        {t('import.title')}
      </p>
      <p className="muted">{t('import.when', { time: format.dateTime(summary.importedAt) })}</p>
      <p>
        {t('import.keys', {
          imported: keys.imported,
          duplicates: keys.duplicates,
          ...keys.byStatus,
        })}
      </p>
      <p>{t('import.egresses', { imported: egresses.imported, enabled: egresses.enabled })}</p>
      {summary.directBlock && (
        <p>{t('import.block', { time: format.dateTime(summary.directBlock.until) })}</p>
      )}
      {summary.clientKey && <p>{t('import.clientKey', { name: summary.clientKey.name })}</p>}
      <p>{t('import.notImported')}</p>
      {summary.notes.length > 0 && (
        <details>
          <summary>
            {t('import.notes', { count: summary.notes.length + summary.notesNotListed })}
          </summary>
          <ul className="notice__fields">
            {summary.notes.map((note, index) => (
              // Notes have no id of their own; the list never changes once shown.
              <li key={index}>
                {/* A row of an old table, or the setting itself (ADMIN_PASSWORD). */}
                {note.rowId !== null && (
                  <>{t('import.noteRow', { table: note.table, id: note.rowId })} </>
                )}
                {/* A row without a key has no item to show (the server's is a word, "(empty)"). */}
                {note.code !== 'empty_key' && (
                  <>
                    <code>{note.item}</code>:{' '}
                  </>
                )}
                {noteText(note)}
              </li>
            ))}
          </ul>
          {summary.notesNotListed > 0 && (
            <p>{t('import.notesMore', { count: summary.notesNotListed })}</p>
          )}
        </details>
      )}
      <button
        type="button"
        className="button button--small"
        onClick={() => void dismiss()}
        disabled={dismissing}
      >
        {t('import.dismiss')}
      </button>
    </section>
  )
}
