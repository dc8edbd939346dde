import type { NotificationTestResult, NotificationView } from '@sfp/schemas'
import { useState } from 'react'
import { useAdminApi } from '../../auth/SessionProvider.js'
import { ConfirmDialog } from '../../components/ConfirmDialog.js'
import { ErrorNotice } from '../../components/ErrorNotice.js'
import { useToast } from '../../components/ToastProvider.js'
import { useI18n } from '../../i18n/I18nProvider.js'
import { EditNotificationDialog } from './EditNotificationDialog.js'
import { failureText } from './notification-words.js'

export interface NotificationActionsProps {
  target: NotificationView
  /** The label, or `钉钉 #3`. */
  name: string
  onUpdated(target: NotificationView): void
  onDeleted(id: number): void
  /** After a test: the target's last delivery changed with it. */
  onTested(): void
}

/**
 * Send a test (one message, no retry), enable or disable, edit, and delete after confirming.
 * Every button names its target, as there is one set per row.
 */
export function NotificationActions({
  target,
  name,
  onUpdated,
  onDeleted,
  onTested,
}: NotificationActionsProps) {
  const { t } = useI18n()
  const api = useAdminApi()
  const toast = useToast()
  const [testing, setTesting] = useState(false)
  const [test, setTest] = useState<NotificationTestResult | null>(null)
  const [toggling, setToggling] = useState(false)
  const [editing, setEditing] = useState(false)
  const [deleting, setDeleting] = useState(false)
  const [error, setError] = useState<unknown>(null)

  async function sendTest() {
    setTesting(true)
    setTest(null)
    setError(null)
    try {
      setTest(await api.testNotification(target.id))
      onTested()
    } catch (failure) {
      setError(failure)
    } finally {
      setTesting(false)
    }
  }

  async function setEnabled(enabled: boolean) {
    setToggling(true)
    setError(null)
    try {
      onUpdated(await api.updateNotification(target.id, { enabled }))
      toast('success', t(enabled ? 'notifications.enabled' : 'notifications.disabled', { name }))
    } catch (failure) {
      setError(failure)
    } finally {
      setToggling(false)
    }
  }

  return (
    <div className="notification-actions">
      <div className="button-row">
        <button
          type="button"
          className="button button--small"
          disabled={testing}
          onClick={sendTest}
          aria-label={t('notifications.testFor', { name })}
        >
          {testing ? t('notifications.testing') : t('notifications.test')}
        </button>
        <button
          type="button"
          className="button button--small"
          disabled={toggling}
          onClick={() => setEnabled(!target.enabled)}
          aria-label={t(target.enabled ? 'notifications.disableFor' : 'notifications.enableFor', {
            name,
          })}
        >
          {target.enabled ? t('notifications.disable') : t('notifications.enable')}
        </button>
        <button
          type="button"
          className="button button--small"
          onClick={() => setEditing(true)}
          aria-label={t('notifications.editFor', { name })}
        >
          {t('notifications.edit')}
        </button>
        <button
          type="button"
          className="button button--small button--danger"
          onClick={() => setDeleting(true)}
          aria-label={t('notifications.deleteFor', { name })}
        >
          {t('notifications.delete')}
        </button>
      </div>
      {/* Exists from the start, so the test's outcome is read out when it arrives. */}
      <p className="notification-actions__result" aria-live="polite">
        {test && <TestResult result={test} />}
      </p>
      <ErrorNotice error={error} />
      {editing && (
        <EditNotificationDialog
          target={target}
          name={name}
          onUpdated={onUpdated}
          onClose={() => setEditing(false)}
        />
      )}
      {deleting && (
        <ConfirmDialog
          title={t('notifications.deleteTitle', { name })}
          confirmLabel={t('notifications.delete')}
          danger
          onClose={() => setDeleting(false)}
          onConfirm={async () => {
            await api.deleteNotification(target.id)
            toast('success', t('notifications.deleted', { name }))
            onDeleted(target.id)
          }}
        >
          <p>{t('notifications.deleteWarning')}</p>
        </ConfirmDialog>
      )}
    </div>
  )
}

/** Delivered (with the receiver's status), or why not in the page language. */
function TestResult({ result }: { result: NotificationTestResult }) {
  const { t, format } = useI18n()
  if (result.ok) {
    return (
      <span className="notification-test notification-test--ok">
        {result.status === null
          ? t('notifications.testOk')
          : t('notifications.testOkStatus', { status: result.status })}
      </span>
    )
  }
  return (
    <span className="notification-test notification-test--failed">
      {result.error === null
        ? t('notifications.testFailedNoReason')
        : t('notifications.testFailed', { reason: failureText(t, format, result.error) })}
    </span>
  )
}
