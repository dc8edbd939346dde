import { useKeyDirectory } from './KeyDirectoryProvider.js'

/** An upstream key id shown as `#12 sk-abcd…wxyz` (and its label) when the key is known. */
export function KeyReference({ keyId }: { keyId: number | null }) {
  const { byId } = useKeyDirectory()
  if (keyId === null) return <span className="muted">—</span>
  const key = byId.get(keyId)
  return (
    <span className="key-ref">
      <span className="muted">#{keyId}</span>
      {key && <code className="key-ref__masked">{key.maskedKey}</code>}
      {key?.label && <span className="key-ref__label">{key.label}</span>}
    </span>
  )
}
