import { useCallback, useDeferredValue, useId, useMemo, useState } from 'react'
import { ErrorNotice } from '../../components/ErrorNotice.js'
import { useI18n } from '../../i18n/I18nProvider.js'
import { useKeyDirectory } from '../../key-directory/KeyDirectoryProvider.js'
import { useEgressLabels } from '../../live-status/EgressReference.js'
import { navigate, useLocation } from '../../router/history-router.js'
import { BulkActionBar } from './BulkActionBar.js'
import { BulkAddForm } from './BulkAddForm.js'
import { ExportButton } from './ExportButton.js'
import { KeyDetailDialog } from './KeyDetailDialog.js'
import { KeyStateFilter } from './KeyStateFilter.js'
import { KeysTable } from './KeysTable.js'
import { countByStatus, filterKeys, type KeyStatusFilter, parseStatusFilter } from './key-filter.js'
import { useKeySelection } from './useKeySelection.js'
import './keys.css'

/** The key pool: filter by state (kept in `?status=`), search, add, act on one or many. */
export function KeysPage() {
  const { t, format } = useI18n()
  const directory = useKeyDirectory()
  const { search: query } = useLocation()
  const status = parseStatusFilter(query.get('status'))
  const searchId = useId()
  const [search, setSearch] = useState('')
  const deferredSearch = useDeferredValue(search)
  const [adding, setAdding] = useState(false)
  const [managedId, setManagedId] = useState<number | null>(null)
  const keys = directory.keys ?? []
  const filtered = useMemo(
    () => filterKeys(keys, { status, search: deferredSearch }),
    [keys, status, deferredSearch],
  )
  const counts = useMemo(() => countByStatus(keys), [keys])
  const selection = useKeySelection(directory.keys)
  const managed = managedId === null ? undefined : directory.byId.get(managedId)
  const onManage = useCallback((id: number) => setManagedId(id), [])
  const egressLabels = useEgressLabels()

  function setStatus(next: KeyStatusFilter) {
    navigate(next === 'all' ? '/keys' : `/keys?status=${next}`, { replace: true })
  }

  return (
    <section className="page" aria-labelledby="keys-title">
      <div className="page__heading">
        <h1 id="keys-title">{t('keys.title')}</h1>
        <div className="button-row">
          <button
            type="button"
            className="button button--primary"
            aria-expanded={adding}
            aria-controls="add-keys-panel"
            onClick={() => setAdding((open) => !open)}
          >
            {t('keys.add')}
          </button>
          <ExportButton />
          <button
            type="button"
            className="button"
            onClick={directory.reload}
            disabled={directory.loading}
          >
            {directory.loading ? t('common.loading') : t('common.refresh')}
          </button>
        </div>
      </div>
      {adding && (
        <section id="add-keys-panel" className="card" aria-label={t('add.title')}>
          <BulkAddForm onAdded={directory.reload} />
        </section>
      )}
      <ErrorNotice error={directory.error} />
      <div className="filters">
        <KeyStateFilter value={status} counts={counts} total={keys.length} onChange={setStatus} />
        <div className="field field--inline">
          <label htmlFor={searchId}>{t('filter.search')}</label>
          <input
            id={searchId}
            type="search"
            className="input"
            placeholder={t('filter.searchPlaceholder')}
            value={search}
            onChange={(event) => setSearch(event.target.value)}
          />
        </div>
      </div>
      <p className="muted" aria-live="polite">
        {t('keys.count', {
          shown: format.number(filtered.length),
          total: format.number(keys.length),
        })}
      </p>
      <BulkActionBar selection={selection} />
      {directory.keys !== null && keys.length === 0 && (
        <p className="notice notice--info">{t('keys.empty')}</p>
      )}
      {keys.length > 0 && filtered.length === 0 && <p className="muted">{t('keys.noMatch')}</p>}
      {filtered.length > 0 && (
        <KeysTable
          keys={filtered}
          selection={selection}
          onManage={onManage}
          egressLabels={egressLabels}
        />
      )}
      {managed && <KeyDetailDialog keyView={managed} onClose={() => setManagedId(null)} />}
    </section>
  )
}
