import { useI18n } from '../i18n/I18nProvider.js'
import { copyText } from './clipboard.js'
import { useToast } from './ToastProvider.js'

interface CopyButtonProps {
  text: string
  /** Accessible name, e.g. "Copy the curl example"; defaults to "Copy". */
  label?: string
  /** Selected when copying fails, so the user can press Ctrl+C. */
  fallbackTarget?: () => HTMLInputElement | HTMLTextAreaElement | HTMLElement | null
}

export function CopyButton({ text, label, fallbackTarget }: CopyButtonProps) {
  const { t } = useI18n()
  const toast = useToast()

  async function copy() {
    if (await copyText(text)) return toast('success', t('common.copied'))
    const target = fallbackTarget?.()
    if (target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement) {
      target.focus()
      target.select()
    } else if (target) {
      window.getSelection()?.selectAllChildren(target)
    }
    toast('error', t('common.copyFailed'))
  }

  return (
    <button type="button" className="button button--small" onClick={copy} aria-label={label}>
      {t('common.copy')}
    </button>
  )
}
