import { createContext, type ReactNode, use, useCallback, useMemo, useRef, useState } from 'react'
import { useI18n } from '../i18n/I18nProvider.js'
import './overlays.css'

export type ToastKind = 'success' | 'error' | 'info'

interface Toast {
  id: number
  kind: ToastKind
  text: string
}

type ShowToast = (kind: ToastKind, text: string) => void

const ToastContext = createContext<ShowToast | null>(null)

const VISIBLE_MS = 6000

/**
 * Results of actions, shown briefly and read out by screen readers: the list is an aria-live
 * region that exists from the start (regions added later are often not announced).
 */
export function ToastProvider({ children }: { children: ReactNode }) {
  const { t } = useI18n()
  const [toasts, setToasts] = useState<Toast[]>([])
  const nextId = useRef(1)

  const dismiss = useCallback((id: number) => {
    setToasts((current) => current.filter((toast) => toast.id !== id))
  }, [])

  const show = useCallback<ShowToast>(
    (kind, text) => {
      const id = nextId.current++
      setToasts((current) => [...current.slice(-3), { id, kind, text }])
      setTimeout(() => dismiss(id), VISIBLE_MS)
    },
    [dismiss],
  )

  const value = useMemo(() => show, [show])
  return (
    <ToastContext value={value}>
      {children}
      <div className="toasts" aria-live="polite" aria-relevant="additions text">
        {toasts.map((toast) => (
          <div key={toast.id} className={`toast toast--${toast.kind}`}>
            <span className="toast__text">{toast.text}</span>
            <button
              type="button"
              className="button button--ghost button--icon"
              onClick={() => dismiss(toast.id)}
              aria-label={t('common.close')}
            >
              ×
            </button>
          </div>
        ))}
      </div>
    </ToastContext>
  )
}

export function useToast(): ShowToast {
  const show = use(ToastContext)
  if (!show) throw new Error('useToast needs a <ToastProvider> above it')
  return show
}
