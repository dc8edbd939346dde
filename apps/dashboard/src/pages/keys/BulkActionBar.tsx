import type { BulkKeyActionBody } from '@sfp/schemas'
import { useState } from 'react'
import { useAdminApi } from '../../auth/SessionProvider.js'
import { ConfirmDialog } from '../../components/ConfirmDialog.js'
import { ErrorNotice } from '../../components/ErrorNotice.js'
import { useToast } from '../../components/ToastProvider.js'
import { useI18n } from '../../i18n/I18nProvider.js'
import { useKeyDirectory } from '../../key-directory/KeyDirectoryProvider.js'
import type { KeySelection } from './useKeySelection.js'

type BulkAction = BulkKeyActionBody['action']

const ACTION_LABELS = {
  enable: 'key.enable',
  disable: 'key.disable',
  check: 'key.check',
  delete: 'key.delete',
} as const

/** Actions on every selected key; delete and check (which contacts upstream with each) ask first. */
export function BulkActionBar({ selection }: { selection: KeySelection }) {
  const { t, format } = useI18n()
  const api = useAdminApi()
  const toast = useToast()
  const { reload } = useKeyDirectory()
  const [confirming, setConfirming] = useState<'check' | 'delete' | null>(null)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(null)
  const count = selection.ids.length
  if (count === 0) return null

  async function run(action: BulkAction) {
    const answer = await api.bulkKeys({ action, ids: [...selection.ids] })
    toast(
      'success',
      t('bulk.done', {
        action: t(ACTION_LABELS[action]),
        affected: answer.affected,
        notFound: answer.notFound.length,
      }),
    )
    if (action === 'delete') selection.clear()
    reload()
  }

  async function runNow(action: BulkAction) {
    setBusy(true)
    setError(null)
    try {
      await run(action)
    } catch (failure) {
      setError(failure)
    } finally {
      setBusy(false)
    }
  }

  return (
    <div className="bulk-bar" role="toolbar" aria-label={t('bulk.actions')}>
      <span className="bulk-bar__count">{t('bulk.selected', { count: format.number(count) })}</span>
      <button
        type="button"
        className="button button--small"
        disabled={busy}
        onClick={() => runNow('enable')}
      >
        {t('key.enable')}
      </button>
      <button
        type="button"
        className="button button--small"
        disabled={busy}
        onClick={() => runNow('disable')}
      >
        {t('key.disable')}
      </button>
      <button
        type="button"
        className="button button--small"
        disabled={busy}
        onClick={() => setConfirming('check')}
      >
        {t('key.check')}
      </button>
      <button
        type="button"
        className="button button--small button--danger"
        disabled={busy}
        onClick={() => setConfirming('delete')}
      >
        {t('key.delete')}
      </button>
      <button
        type="button"
        className="button button--small button--ghost"
        onClick={selection.clear}
      >
        {t('bulk.clear')}
      </button>
      <ErrorNotice error={error} />
      {confirming && (
        <ConfirmDialog
          title={t(confirming === 'check' ? 'bulk.checkTitle' : 'bulk.deleteTitle', { count })}
          confirmLabel={t(ACTION_LABELS[confirming])}
          danger
          onClose={() => setConfirming(null)}
          onConfirm={() => run(confirming)}
        >
          <p>
            {confirming === 'check' ? t('bulk.checkWarning', { count }) : t('key.deleteWarning')}
          </p>
        </ConfirmDialog>
      )}
    </div>
  )
}
