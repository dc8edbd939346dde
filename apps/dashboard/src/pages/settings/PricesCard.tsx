import type { FieldIssue, PricesResponse } from '@sfp/schemas'
import { type ChangeEvent, useEffect, useId, useState } from 'react'
import { isApiError } from '../../api/api-error.js'
import { useAdminApi } from '../../auth/SessionProvider.js'
import { downloadFile } from '../../components/download-file.js'
import { ErrorNotice } from '../../components/ErrorNotice.js'
import { useToast } from '../../components/ToastProvider.js'
import { useApiResource } from '../../hooks/useApiResource.js'
import type { MessageKey } from '../../i18n/catalog.js'
import { describeFieldIssue, ruleText } from '../../i18n/field-issues.js'
import { useI18n } from '../../i18n/I18nProvider.js'
import {
  bodyOfRows,
  emptyRow,
  exportText,
  issuePlace,
  type PriceColumn,
  type PriceRow,
  parsePricesImport,
  rowsOf,
} from './price-table.js'

const EXPORT_FILE_NAME = 'sfp-prices.json'

const COLUMN_LABELS: Readonly<Record<PriceColumn, MessageKey>> = {
  model: 'prices.rowModel',
  inputPerMillion: 'prices.rowInput',
  outputPerMillion: 'prices.rowOutput',
}

/** What the last import did: rows put into the table, or why it was refused. */
type ImportOutcome =
  | { kind: 'imported'; count: number }
  | { kind: 'notJson' }
  | { kind: 'invalid'; issues: FieldIssue[] }

/**
 * The price table of docs/behaviour.md §11 (`GET`/`PUT /api/manage/prices`): edited in place and
 * saved whole. Imports only fill the table; nothing reaches the server before Save.
 */
export function PricesCard() {
  const { t, language, format } = useI18n()
  const api = useAdminApi()
  const toast = useToast()
  const resource = useApiResource((signal) => api.prices(signal), [api])
  // The table as the server last gave it (GET, then each PUT's answer): what export saves.
  const [saved, setSaved] = useState<PricesResponse | null>(null)
  const [rows, setRows] = useState<PriceRow[]>([])
  const [dirty, setDirty] = useState(false)
  const [busy, setBusy] = useState(false)
  const [issues, setIssues] = useState<FieldIssue[]>([])
  const [error, setError] = useState<unknown>(null)
  const [importText, setImportText] = useState('')
  const [importOutcome, setImportOutcome] = useState<ImportOutcome | null>(null)
  const importTextId = useId()
  const importFileId = useId()

  useEffect(() => {
    if (resource.data === undefined) return
    setSaved(resource.data)
    setRows(rowsOf(resource.data.prices))
    setDirty(false)
  }, [resource.data])

  function edit(next: PriceRow[]) {
    setRows(next)
    setDirty(true)
  }

  function setCell(key: number, column: PriceColumn, value: string) {
    edit(rows.map((row) => (row.key === key ? { ...row, [column]: value } : row)))
  }

  function removeRow(key: number) {
    edit(rows.filter((row) => row.key !== key))
    // Refusals name rows by position, which has just moved.
    setIssues([])
  }

  function revert() {
    setRows(rowsOf(saved?.prices ?? []))
    setDirty(false)
    setIssues([])
    setError(null)
  }

  async function save() {
    if (busy) return
    setError(null)
    const checked = bodyOfRows(rows)
    if (!checked.ok) {
      setIssues(checked.issues)
      return
    }
    setIssues([])
    setBusy(true)
    try {
      const answer = await api.putPrices(checked.body)
      setSaved(answer)
      setRows(rowsOf(answer.prices))
      setDirty(false)
      setImportOutcome(null)
      toast('success', t('prices.saved', { count: answer.prices.length }))
    } catch (failure) {
      // A refusal by field lands on its cells; anything else shows as the call's error.
      if (isApiError(failure) && failure.fields.some((issue) => issuePlace(issue) !== null)) {
        setIssues([...failure.fields])
      } else {
        setError(failure)
      }
    } finally {
      setBusy(false)
    }
  }

  function exportSaved() {
    const text = exportText(saved?.prices ?? [])
    downloadFile(EXPORT_FILE_NAME, new Blob([text], { type: 'application/json' }))
  }

  function applyImport(text: string) {
    const parsed = parsePricesImport(text)
    if (!parsed.ok) {
      setImportOutcome(
        parsed.notJson ? { kind: 'notJson' } : { kind: 'invalid', issues: parsed.issues },
      )
      return
    }
    edit(rowsOf(parsed.prices))
    setIssues([])
    setError(null)
    setImportOutcome({ kind: 'imported', count: parsed.prices.length })
  }

  async function importFile(event: ChangeEvent<HTMLInputElement>) {
    const input = event.currentTarget
    const file = input.files?.[0]
    if (file === undefined) return
    const text = await file.text()
    // Cleared so that choosing the same file again (after fixing it) reads it again.
    input.value = ''
    applyImport(text)
  }

  /**
   * The words for one refused cell. The schema's only refusal of a model name without a worded
   * rule is "listed twice" (its text is English): that one gets ours.
   */
  function reasonOf(issue: FieldIssue, column: PriceColumn): string {
    if (column === 'model' && issue.rule?.kind === 'other') return t('prices.duplicate')
    return (issue.rule === undefined ? null : ruleText(language, issue.rule)) ?? issue.reason
  }

  function cellIssue(row: number, column: PriceColumn): string | null {
    const issue = issues.find((candidate) => {
      const place = issuePlace(candidate)
      return place !== null && place.row === row && place.column === column
    })
    return issue === undefined ? null : reasonOf(issue, column)
  }

  // A server without the route (older than this dashboard): nothing to offer here.
  if (isApiError(resource.error) && resource.error.status === 404) return null
  const offTable = issues.filter((issue) => issuePlace(issue) === null)
  return (
    <section className="card" aria-labelledby="prices-title">
      <h2 id="prices-title" className="card__title">
        {t('prices.title')}
      </h2>
      <p>{t('prices.explain')}</p>
      <p className="notice notice--info">{t('prices.unlisted')}</p>
      <ErrorNotice error={resource.error} />
      {resource.loading && saved === null && <p className="muted">{t('common.loading')}</p>}
      {saved !== null && (
        <>
          <p className="muted">
            {saved.updatedAt === null ? (
              t('prices.neverSet')
            ) : (
              <time dateTime={saved.updatedAt}>
                {t('prices.updatedAt', { time: format.fullDateTime(saved.updatedAt) })}
              </time>
            )}
          </p>
          <div className="table-scroll">
            <table className="table table--compact">
              <thead>
                <tr>
                  <th scope="col">{t('prices.col.model')}</th>
                  <th scope="col">{t('prices.col.input')}</th>
                  <th scope="col">{t('prices.col.output')}</th>
                  <th scope="col">{t('prices.col.actions')}</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((row, index) => (
                  <tr key={row.key}>
                    {(['model', 'inputPerMillion', 'outputPerMillion'] as const).map((column) => {
                      const problem = cellIssue(index, column)
                      const inputId = `prices-${row.key}-${column}`
                      return (
                        <td key={column}>
                          <input
                            id={inputId}
                            className={`input${column === 'model' ? '' : ' input--mono'}`}
                            type="text"
                            inputMode={column === 'model' ? undefined : 'decimal'}
                            aria-label={t(COLUMN_LABELS[column], { row: index + 1 })}
                            aria-invalid={problem !== null}
                            aria-describedby={problem === null ? undefined : `${inputId}-problem`}
                            autoComplete="off"
                            spellCheck={false}
                            value={row[column]}
                            onChange={(event) => setCell(row.key, column, event.target.value)}
                          />
                          {problem !== null && (
                            <p id={`${inputId}-problem`} className="field__error">
                              {problem}
                            </p>
                          )}
                        </td>
                      )
                    })}
                    <td>
                      <button
                        type="button"
                        className="button button--small button--ghost"
                        aria-label={t('prices.removeRow', { row: index + 1 })}
                        onClick={() => removeRow(row.key)}
                      >
                        {t('prices.remove')}
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {rows.length === 0 && <p className="muted">{t('prices.empty')}</p>}
          {issues.length > 0 && (
            <div role="alert" className="notice notice--error">
              {t('prices.invalid', { count: issues.length })}
              {offTable.length > 0 && (
                <ul className="notice__fields">
                  {offTable.map((issue) => {
                    const shown = describeFieldIssue(language, issue)
                    return (
                      <li key={`${issue.field}:${issue.reason}`}>
                        {shown.field}
                        {language === 'zh' ? '：' : ': '}
                        {shown.reason}
                      </li>
                    )
                  })}
                </ul>
              )}
            </div>
          )}
          <ErrorNotice error={error} />
          {dirty && <p className="notice notice--warning">{t('prices.unsaved')}</p>}
          <div className="button-row">
            <button type="button" className="button" onClick={() => edit([...rows, emptyRow()])}>
              {t('prices.add')}
            </button>
            <button
              type="button"
              className="button button--primary"
              disabled={busy || !dirty}
              onClick={save}
            >
              {busy ? t('common.working') : t('prices.save')}
            </button>
            {dirty && (
              <button type="button" className="button button--ghost" onClick={revert}>
                {t('prices.revert')}
              </button>
            )}
            <button type="button" className="button" onClick={exportSaved}>
              {t('prices.export')}
            </button>
          </div>
          <p className="field__hint">{t('prices.exportNote')}</p>
          <h3>{t('prices.import')}</h3>
          <div className="field">
            <label htmlFor={importFileId}>{t('prices.importFile')}</label>
            <input
              id={importFileId}
              type="file"
              accept="application/json,.json"
              onChange={importFile}
            />
          </div>
          <div className="field">
            <label htmlFor={importTextId}>{t('prices.importText')}</label>
            <textarea
              id={importTextId}
              className="input input--mono"
              rows={4}
              spellCheck={false}
              value={importText}
              onChange={(event) => setImportText(event.target.value)}
            />
            <p className="field__hint">{t('prices.importTextHint')}</p>
          </div>
          <button
            type="button"
            className="button"
            disabled={importText.trim() === ''}
            onClick={() => applyImport(importText)}
          >
            {t('prices.importApply')}
          </button>
          <div aria-live="polite">
            {importOutcome?.kind === 'imported' && (
              <p className="notice notice--success">
                {t('prices.imported', { count: importOutcome.count })}
              </p>
            )}
          </div>
          {importOutcome?.kind === 'notJson' && (
            <p role="alert" className="notice notice--error">
              {t('prices.importNotJson')}
            </p>
          )}
          {importOutcome?.kind === 'invalid' && (
            <div role="alert" className="notice notice--error">
              {t('prices.importInvalid')}
              <ul className="notice__fields">
                {importOutcome.issues.map((issue) => (
                  <li key={`${issue.field}:${issue.reason}`}>{importIssueText(issue)}</li>
                ))}
              </ul>
            </div>
          )}
        </>
      )}
    </section>
  )

  /** A refused import cell as "第 4 行 输入价格：不能小于 0"; other places as the field issue. */
  function importIssueText(issue: FieldIssue): string {
    const place = issuePlace(issue)
    const colon = language === 'zh' ? '：' : ': '
    if (place === null) {
      const shown = describeFieldIssue(language, issue)
      return `${shown.field}${colon}${shown.reason}`
    }
    const where = t(COLUMN_LABELS[place.column], { row: place.row + 1 })
    return `${where}${colon}${reasonOf(issue, place.column)}`
  }
}
