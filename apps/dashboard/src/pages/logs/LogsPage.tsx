import type { LogEntry } from '@sfp/schemas'
import { useMemo, useState } from 'react'
import { ErrorNotice } from '../../components/ErrorNotice.js'
import { useI18n } from '../../i18n/I18nProvider.js'
import { navigate, useLocation } from '../../router/history-router.js'
import { LogDetailDialog } from './LogDetailDialog.js'
import { LogFiltersForm } from './LogFiltersForm.js'
import { LogsTable } from './LogsTable.js'
import { buildLogsQuery, logFiltersFromSearch, logFiltersToSearch } from './log-filters.js'
import { useLogPages } from './useLogPages.js'
import './logs.css'

/** Filters live in the URL (`/logs?status=5xx&model=…`), so a filtered view can be shared. */
export function LogsPage() {
  const { t, format } = useI18n()
  const { search } = useLocation()
  const searchString = search.toString()
  const filters = useMemo(
    () => logFiltersFromSearch(new URLSearchParams(searchString)),
    [searchString],
  )
  const [refreshes, setRefreshes] = useState(0)
  const pages = useLogPages(() => buildLogsQuery(filters), `${searchString}#${refreshes}`)
  const [open, setOpen] = useState<LogEntry | null>(null)

  return (
    <section className="page" aria-labelledby="logs-title">
      <div className="page__heading">
        <h1 id="logs-title">{t('logs.title')}</h1>
        <button type="button" className="button" onClick={() => setRefreshes((n) => n + 1)}>
          {t('common.refresh')}
        </button>
      </div>
      <LogFiltersForm
        key={searchString}
        initial={filters}
        onApply={(next) => {
          const query = logFiltersToSearch(next).toString()
          navigate(query ? `/logs?${query}` : '/logs', { replace: true })
          setRefreshes((n) => n + 1)
        }}
      />
      <ErrorNotice error={pages.error} />
      <p className="muted" aria-live="polite">
        {pages.loading
          ? t('common.loading')
          : t('logs.shown', { count: format.number(pages.items.length) })}
      </p>
      {pages.items.length > 0 && <LogsTable items={pages.items} onOpen={setOpen} />}
      {!pages.loading && !pages.error && pages.items.length === 0 && <p>{t('logs.empty')}</p>}
      <div className="load-more">
        {pages.nextCursor !== null ? (
          <button
            type="button"
            className="button"
            onClick={pages.loadMore}
            disabled={pages.loading}
          >
            {t('logs.loadMore')}
          </button>
        ) : (
          pages.items.length > 0 && <p className="muted">{t('logs.end')}</p>
        )}
      </div>
      {open && <LogDetailDialog entry={open} onClose={() => setOpen(null)} />}
    </section>
  )
}
