import { type KeyboardEvent, type ReactNode, useEffect, useId, useRef } from 'react'
import { useI18n } from '../i18n/I18nProvider.js'
import './overlays.css'

const FOCUSABLE_PARTS = [
  'a[href]',
  'button:not([disabled])',
  'input:not([disabled])',
  'select:not([disabled])',
  'textarea:not([disabled])',
  '[tabindex]:not([tabindex="-1"])',
]
const FOCUSABLE = FOCUSABLE_PARTS.join(', ')
/** Focus goes to the content first, not to the close button in the header. */
const FOCUSABLE_IN_BODY = FOCUSABLE_PARTS.map((part) => `.dialog__body ${part}`).join(', ')

/**
 * Gives focus back after a dialog closed: to its opener when that can still take it. An opener
 * the dialog's action disabled ("make current" on the key now in use) passes it to the next
 * control after it (or else the one before), in the surrounding dialog or page; an opener that is
 * gone passes it to the page's main region. Focus that something else has taken meanwhile stays.
 */
export function returnFocus(opener: HTMLElement | null): void {
  if (opener?.isConnected && opener.matches(FOCUSABLE)) {
    opener.focus()
    return
  }
  const active = document.activeElement
  if (active instanceof HTMLElement && active !== document.body && active.isConnected) return
  const target = (opener?.isConnected ? nearestFocusable(opener) : null) ?? mainRegion()
  target?.focus()
}

function nearestFocusable(from: HTMLElement): HTMLElement | null {
  const scope = from.closest('dialog') ?? from.closest('main') ?? document.body
  const candidates = [...scope.querySelectorAll<HTMLElement>(FOCUSABLE)]
  const following = (element: HTMLElement) =>
    (from.compareDocumentPosition(element) & Node.DOCUMENT_POSITION_FOLLOWING) !== 0
  return (
    candidates.find(following) ?? candidates.filter((element) => !following(element)).pop() ?? null
  )
}

function mainRegion(): HTMLElement | null {
  return document.querySelector<HTMLElement>('main')
}

interface DialogProps {
  title: string
  onClose(): void
  children: ReactNode
  /** Buttons at the bottom. */
  footer?: ReactNode
  size?: 'small' | 'large'
}

/**
 * A modal dialog on the native <dialog> (inert background, top layer), mounted while open. Focus
 * moves in (to `[data-autofocus]` or the first control), Tab cycles inside, Escape closes, and
 * focus returns to whatever had it before (see `returnFocus` when that cannot take it).
 */
export function Dialog({ title, onClose, children, footer, size = 'small' }: DialogProps) {
  const { t } = useI18n()
  const ref = useRef<HTMLDialogElement>(null)
  const titleId = useId()
  const onCloseRef = useRef(onClose)
  onCloseRef.current = onClose

  useEffect(() => {
    const dialog = ref.current
    if (!dialog) return
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null
    if (!dialog.open) {
      if (typeof dialog.showModal === 'function') dialog.showModal()
      else dialog.setAttribute('open', '')
    }
    const first =
      dialog.querySelector<HTMLElement>('[data-autofocus]') ??
      dialog.querySelector<HTMLElement>(FOCUSABLE_IN_BODY) ??
      dialog.querySelector<HTMLElement>(FOCUSABLE)
    ;(first ?? dialog).focus()
    // The browser's own Escape handling would close the element behind React's back.
    const onCancel = (event: Event) => {
      event.preventDefault()
      onCloseRef.current()
    }
    dialog.addEventListener('cancel', onCancel)
    return () => {
      dialog.removeEventListener('cancel', onCancel)
      if (dialog.open) dialog.close()
      returnFocus(opener)
    }
  }, [])

  function onKeyDown(event: KeyboardEvent<HTMLDialogElement>) {
    if (event.key === 'Escape') {
      event.preventDefault()
      event.stopPropagation()
      onClose()
      return
    }
    if (event.key !== 'Tab' || !ref.current) return
    // A dialog opened from inside this one handles its own Tab; the outer one must not as well.
    event.stopPropagation()
    const focusable = [...ref.current.querySelectorAll<HTMLElement>(FOCUSABLE)]
    const first = focusable[0]
    const last = focusable[focusable.length - 1]
    if (!first || !last) return
    if (event.shiftKey && document.activeElement === first) {
      event.preventDefault()
      last.focus()
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault()
      first.focus()
    }
  }

  return (
    <dialog
      ref={ref}
      className={`dialog dialog--${size}`}
      aria-labelledby={titleId}
      aria-modal="true"
      onKeyDown={onKeyDown}
    >
      <div className="dialog__header">
        <h2 id={titleId} className="dialog__title">
          {title}
        </h2>
        <button
          type="button"
          className="button button--ghost button--icon"
          onClick={onClose}
          aria-label={t('common.close')}
        >
          ×
        </button>
      </div>
      <div className="dialog__body">{children}</div>
      {footer && <div className="dialog__footer">{footer}</div>}
    </dialog>
  )
}
