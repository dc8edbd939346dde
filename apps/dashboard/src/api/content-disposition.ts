/**
 * The file name of an `attachment; filename="…"` header, or null. Only the plain quoted or token
 * form: the server sends nothing else, and a name with a path in it is reduced to its last part.
 */
export function attachmentFileName(header: string | null): string | null {
  const name = header === null ? undefined : /filename="([^"]+)"|filename=([^;\s]+)/i.exec(header)
  const value = name?.[1] ?? name?.[2]
  if (value === undefined) return null
  const base = value.split(/[\\/]/).pop() ?? ''
  return base === '' ? null : base
}
