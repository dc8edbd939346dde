import type { EgressCheckResult, EgressView } from '@sfp/schemas'
import { useId, useState } from 'react'
import { useAdminApi } from '../../auth/SessionProvider.js'
import { ConfirmDialog } from '../../components/ConfirmDialog.js'
import { ErrorNotice } from '../../components/ErrorNotice.js'
import { useToast } from '../../components/ToastProvider.js'
import { useI18n } from '../../i18n/I18nProvider.js'

export interface EgressActionsProps {
  egress: EgressView
  /** The label, or `出口 #id`. */
  name: string
  /** The built-in direct egress, which the server refuses to delete. */
  builtin: boolean
  onUpdated(egress: EgressView): void
  onDeleted(id: number): void
  /** After a check: the egress's state may have changed with it. */
  onChecked(): void
}

/**
 * Check (a connection to the upstream through this egress, no key sent), enable or disable, and
 * delete after confirming. Every button names its egress, as there is one set per row.
 */
export function EgressActions({
  egress,
  name,
  builtin,
  onUpdated,
  onDeleted,
  onChecked,
}: EgressActionsProps) {
  const { t } = useI18n()
  const api = useAdminApi()
  const toast = useToast()
  const builtinNoteId = useId()
  const [checking, setChecking] = useState(false)
  const [check, setCheck] = useState<EgressCheckResult | null>(null)
  const [toggling, setToggling] = useState(false)
  const [deleting, setDeleting] = useState(false)
  const [error, setError] = useState<unknown>(null)

  async function runCheck() {
    setChecking(true)
    setCheck(null)
    setError(null)
    try {
      setCheck(await api.checkEgress(egress.id))
      onChecked()
    } catch (failure) {
      setError(failure)
    } finally {
      setChecking(false)
    }
  }

  async function setEnabled(enabled: boolean) {
    setToggling(true)
    setError(null)
    try {
      onUpdated(await api.updateEgress(egress.id, { enabled }))
      toast('success', t(enabled ? 'egress.enabled' : 'egress.disabled', { name }))
    } catch (failure) {
      setError(failure)
    } finally {
      setToggling(false)
    }
  }

  return (
    <div className="egress-actions">
      <div className="button-row">
        <button
          type="button"
          className="button button--small"
          disabled={checking}
          onClick={runCheck}
          aria-label={t('egress.checkFor', { name })}
        >
          {checking ? t('egress.checking') : t('egress.check')}
        </button>
        <button
          type="button"
          className="button button--small"
          disabled={toggling}
          onClick={() => setEnabled(!egress.enabled)}
          aria-label={t(egress.enabled ? 'egress.disableFor' : 'egress.enableFor', { name })}
        >
          {egress.enabled ? t('egress.disable') : t('egress.enable')}
        </button>
        <button
          type="button"
          className="button button--small button--danger"
          disabled={builtin}
          onClick={() => setDeleting(true)}
          aria-label={t('egress.deleteFor', { name })}
          aria-describedby={builtin ? builtinNoteId : undefined}
          title={builtin ? t('egress.builtinNote') : undefined}
        >
          {t('egress.delete')}
        </button>
        {builtin && (
          <span id={builtinNoteId} className="sr-only">
            {t('egress.builtinNote')}
          </span>
        )}
      </div>
      {/* Exists from the start, so the result of a check is read out when it arrives. */}
      <p className="egress-actions__result" aria-live="polite">
        {check && <CheckResult result={check} />}
      </p>
      <ErrorNotice error={error} />
      {deleting && (
        <ConfirmDialog
          title={t('egress.deleteTitle', { name })}
          confirmLabel={t('egress.delete')}
          danger
          onClose={() => setDeleting(false)}
          onConfirm={async () => {
            await api.deleteEgress(egress.id)
            toast('success', t('egress.deleted', { name }))
            onDeleted(egress.id)
          }}
        >
          <p>{t('egress.deleteWarning')}</p>
        </ConfirmDialog>
      )}
    </div>
  )
}

/** Ok with the latency, or the server's reason (plain text) after a translated prefix. */
function CheckResult({ result }: { result: EgressCheckResult }) {
  const { t, format } = useI18n()
  if (result.ok) {
    return (
      <span className="egress-check egress-check--ok">
        {result.latencyMs === null
          ? t('egress.checkOkNoLatency')
          : t('egress.checkOk', { latency: format.duration(result.latencyMs) })}
      </span>
    )
  }
  return (
    <span className="egress-check egress-check--failed">
      {result.error === null
        ? t('egress.checkFailedNoReason')
        : t('egress.checkFailed', { error: result.error })}
    </span>
  )
}
