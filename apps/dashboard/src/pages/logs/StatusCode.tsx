/** An HTTP status coloured by class: 2xx fine, 4xx the client's doing, 5xx ours or upstream's. */
export function StatusCode({ status }: { status: number | null }) {
  if (status === null) return <span className="muted">—</span>
  const kind = status >= 500 ? 'danger' : status >= 400 ? 'warning' : 'ok'
  return <span className={`status-code status-code--${kind}`}>{status}</span>
}
