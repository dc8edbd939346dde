import { useId } from 'react'

interface PasswordFieldProps {
  label: string
  value: string
  onChange(value: string): void
  /** `current-password` to sign in or confirm, `new-password` for one being chosen. */
  autoComplete: 'current-password' | 'new-password'
  /** A line under the field, read out with it. */
  hint?: string
  name?: string
  /** Only where entering it is the one thing to do on the screen (sign-in). */
  autoFocus?: boolean
}

/**
 * A required password input with its label (and hint), for signing in and for changing the admin
 * password: what the browser and password managers need to recognise it is said once, here.
 */
export function PasswordField({
  label,
  value,
  onChange,
  autoComplete,
  hint,
  name,
  autoFocus = false,
}: PasswordFieldProps) {
  const id = useId()
  const hintId = useId()
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        className="input"
        type="password"
        name={name}
        autoComplete={autoComplete}
        aria-describedby={hint === undefined ? undefined : hintId}
        value={value}
        onChange={(event) => onChange(event.target.value)}
        required
        // biome-ignore lint/a11y/noAutofocus: asked for by the sign-in screen only (see the prop)
        autoFocus={autoFocus}
      />
      {hint !== undefined && (
        <p id={hintId} className="field__hint">
          {hint}
        </p>
      )}
    </div>
  )
}
