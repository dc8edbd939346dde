/**
 * IPv4 and IPv6 addresses and CIDR ranges as bytes, for the allowed client IPs of a client key
 * (docs/behaviour.md §12): parsed here so that the admin API stores them in one canonical form
 * and the server matches the same bytes. No `node:net`, so the dashboard can use it too.
 */
export interface IpRange {
  version: 4 | 6
  /** 4 or 16 bytes, host bits cleared. */
  bytes: number[]
  /** 0–32 or 0–128; a single address has the full length. */
  prefix: number
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/

function parseIpv4(text: string): number[] | null {
  return IPV4.test(text) ? text.split('.').map(Number) : null
}

function parseIpv6(text: string): number[] | null {
  const halves = text.split('::')
  if (halves.length > 2) return null
  const groupsOf = (part: string): number[] | null => {
    if (part === '') return []
    const groups: number[] = []
    const pieces = part.split(':')
    for (const [index, piece] of pieces.entries()) {
      // An embedded IPv4 address may end the address (`::ffff:192.0.2.1`).
      if (index === pieces.length - 1 && piece.includes('.')) {
        const v4 = parseIpv4(piece)
        if (v4 === null) return null
        groups.push(((v4[0] ?? 0) << 8) | (v4[1] ?? 0), ((v4[2] ?? 0) << 8) | (v4[3] ?? 0))
      } else if (/^[0-9a-f]{1,4}$/i.test(piece)) groups.push(Number.parseInt(piece, 16))
      else return null
    }
    return groups
  }
  const head = groupsOf(halves[0] ?? '')
  const tail = halves.length === 2 ? groupsOf(halves[1] ?? '') : []
  if (head === null || tail === null) return null
  const missing = 8 - head.length - tail.length
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null
  const groups = [...head, ...new Array<number>(missing).fill(0), ...tail]
  return groups.flatMap((group) => [group >> 8, group & 0xff])
}

/**
 * An address as bytes; an IPv4-mapped IPv6 address (`::ffff:192.0.2.1`, how a dual-stack socket
 * reports an IPv4 client) is its IPv4 address. Null for anything else (zone ids included).
 */
export function parseIpAddress(text: string): { version: 4 | 6; bytes: number[] } | null {
  const v4 = parseIpv4(text)
  if (v4 !== null) return { version: 4, bytes: v4 }
  const v6 = parseIpv6(text)
  if (v6 === null) return null
  const mapped = v6.slice(0, 10).every((byte) => byte === 0) && v6[10] === 255 && v6[11] === 255
  return mapped ? { version: 4, bytes: v6.slice(12) } : { version: 6, bytes: v6 }
}

/** `192.0.2.1`, `10.0.0.0/8`, `2001:db8::/32`, `::1`; the host bits of a CIDR are cleared. */
export function parseIpRange(text: string): IpRange | null {
  const slash = text.indexOf('/')
  const address = parseIpAddress(slash === -1 ? text : text.slice(0, slash))
  if (address === null) return null
  const bits = address.bytes.length * 8
  let prefix = bits
  if (slash !== -1) {
    const digits = text.slice(slash + 1)
    if (!/^(?:0|[1-9]\d{0,2})$/.test(digits) || Number(digits) > bits) return null
    prefix = Number(digits)
  }
  const bytes = address.bytes.map((byte, index) => byte & maskByte(prefix, index))
  return { version: address.version, bytes, prefix }
}

/** The bits of byte `index` that belong to a network of `prefix` bits. */
function maskByte(prefix: number, index: number): number {
  const inByte = Math.min(8, Math.max(0, prefix - index * 8))
  return (0xff << (8 - inByte)) & 0xff
}

/** Whether an address (as `parseIpAddress` gives it) lies in a range. */
export function ipInRange(address: { version: 4 | 6; bytes: number[] }, range: IpRange): boolean {
  if (address.version !== range.version) return false
  return range.bytes.every(
    (byte, index) => ((address.bytes[index] ?? 0) & maskByte(range.prefix, index)) === byte,
  )
}

/** The canonical text: dotted IPv4, RFC 5952 IPv6, `/prefix` unless a single address. */
export function formatIpRange(range: IpRange): string {
  const suffix = range.prefix === range.bytes.length * 8 ? '' : `/${range.prefix}`
  return `${formatAddress(range)}${suffix}`
}

function formatAddress({ version, bytes }: Pick<IpRange, 'version' | 'bytes'>): string {
  if (version === 4) return bytes.join('.')
  const groups: number[] = []
  for (let index = 0; index < 16; index += 2) {
    groups.push(((bytes[index] ?? 0) << 8) | (bytes[index + 1] ?? 0))
  }
  // The longest run of two or more zero groups (the first of equals) becomes `::`.
  let bestStart = -1
  let bestLength = 1
  for (let start = 0; start < 8; ) {
    let end = start
    while (end < 8 && groups[end] === 0) end += 1
    if (end - start > bestLength) {
      bestStart = start
      bestLength = end - start
    }
    start = end === start ? start + 1 : end
  }
  const hex = groups.map((group) => group.toString(16))
  if (bestStart === -1) return hex.join(':')
  const head = hex.slice(0, bestStart).join(':')
  const tail = hex.slice(bestStart + bestLength).join(':')
  return `${head}::${tail}`
}
