import { isIPv4, isIPv6 } from 'node:net'

/**
 * SOCKS5 wire messages (RFC 1928, RFC 1929 for username/password). Each parser takes the bytes
 * received so far and returns `undefined` until a whole message is there, because TCP may hand
 * the proxy a message in several pieces.
 */

export const SOCKS_VERSION = 0x05
export const AUTH_VERSION = 0x01

export const METHOD = { noAuth: 0x00, usernamePassword: 0x02, noneAcceptable: 0xff } as const
export const COMMAND = { connect: 0x01 } as const
export const ADDRESS_TYPE = { ipv4: 0x01, domain: 0x03, ipv6: 0x04 } as const
export const REPLY = {
  succeeded: 0x00,
  generalFailure: 0x01,
  hostUnreachable: 0x04,
  connectionRefused: 0x05,
  commandNotSupported: 0x07,
  addressTypeNotSupported: 0x08,
} as const

/** A parsed message and how many bytes it took, or `'invalid'` when it cannot be SOCKS5. */
type Parsed<T> = (T & { length: number }) | 'invalid' | undefined

export function parseGreeting(bytes: Buffer): Parsed<{ methods: number[] }> {
  if (bytes.length < 2) return undefined
  if (bytes[0] !== SOCKS_VERSION) return 'invalid'
  const length = 2 + (bytes[1] ?? 0)
  if (bytes.length < length) return undefined
  return { methods: [...bytes.subarray(2, length)], length }
}

export function parseCredentials(bytes: Buffer): Parsed<{ username: string; password: string }> {
  if (bytes.length < 2) return undefined
  if (bytes[0] !== AUTH_VERSION) return 'invalid'
  const usernameEnd = 2 + (bytes[1] ?? 0)
  if (bytes.length < usernameEnd + 1) return undefined
  const length = usernameEnd + 1 + (bytes[usernameEnd] ?? 0)
  if (bytes.length < length) return undefined
  return {
    username: bytes.subarray(2, usernameEnd).toString('utf8'),
    password: bytes.subarray(usernameEnd + 1, length).toString('utf8'),
    length,
  }
}

export interface ConnectRequest {
  command: number
  addressType: number
  /** IPv4 dotted, IPv6 in its short form, or the domain name as sent. */
  host: string
  port: number
}

/** `addressType` outside 1/3/4 comes back with an empty host: the caller answers 0x08. */
export function parseRequest(bytes: Buffer): Parsed<ConnectRequest> {
  if (bytes.length < 5) return undefined
  if (bytes[0] !== SOCKS_VERSION) return 'invalid'
  const command = bytes[1] ?? 0
  const addressType = bytes[3] ?? 0
  const addressLength =
    addressType === ADDRESS_TYPE.ipv4
      ? 4
      : addressType === ADDRESS_TYPE.ipv6
        ? 16
        : addressType === ADDRESS_TYPE.domain
          ? 1 + (bytes[4] ?? 0)
          : 0
  const length = 4 + addressLength + 2
  if (addressLength === 0) return { command, addressType, host: '', port: 0, length: 4 }
  if (bytes.length < length) return undefined
  const address = bytes.subarray(4, 4 + addressLength)
  const port = bytes.readUInt16BE(4 + addressLength)
  return { command, addressType, host: addressText(addressType, address), port, length }
}

function addressText(addressType: number, address: Buffer): string {
  if (addressType === ADDRESS_TYPE.ipv4) return [...address].join('.')
  if (addressType === ADDRESS_TYPE.domain) return address.subarray(1).toString('utf8')
  const groups = Array.from({ length: 8 }, (_, i) => address.readUInt16BE(i * 2).toString(16))
  // The URL parser gives the canonical short form (`::1`), as people write it in tests.
  return new URL(`http://[${groups.join(':')}]/`).hostname.slice(1, -1)
}

/** The 16 bytes of an IPv6 address, `::` and a dotted IPv4 tail included. */
function ipv6Bytes(address: string): Buffer {
  const toGroups = (part: string) =>
    part === ''
      ? []
      : part.split(':').flatMap((group) => {
          if (!group.includes('.')) return [Number.parseInt(group, 16)]
          const [a = 0, b = 0, c = 0, d = 0] = group.split('.').map(Number)
          return [(a << 8) | b, (c << 8) | d]
        })
  const [head = '', tail] = address.split('%')[0]?.split('::') ?? []
  const before = toGroups(head)
  const after = tail === undefined ? [] : toGroups(tail)
  const groups = [...before, ...Array(8 - before.length - after.length).fill(0), ...after]
  const bytes = Buffer.alloc(16)
  groups.forEach((group, i) => {
    bytes.writeUInt16BE(group, i * 2)
  })
  return bytes
}

/** A reply to CONNECT; BND.ADDR/PORT is 0.0.0.0:0 on failure, as most servers send. */
export function reply(code: number, boundAddress = '0.0.0.0', boundPort = 0): Buffer {
  const ipv4 = isIPv4(boundAddress) || !isIPv6(boundAddress)
  const address = ipv4
    ? Buffer.from((isIPv4(boundAddress) ? boundAddress : '0.0.0.0').split('.').map(Number))
    : ipv6Bytes(boundAddress)
  const port = Buffer.alloc(2)
  port.writeUInt16BE(boundPort)
  const addressType = ipv4 ? ADDRESS_TYPE.ipv4 : ADDRESS_TYPE.ipv6
  return Buffer.concat([Buffer.from([SOCKS_VERSION, code, 0x00, addressType]), address, port])
}

/** RFC 1928 reply codes for why dialling the target failed. */
export function replyCodeFor(error: NodeJS.ErrnoException): number {
  if (error.code === 'ECONNREFUSED') return REPLY.connectionRefused
  if (error.code === 'EHOSTUNREACH') return REPLY.hostUnreachable
  return REPLY.generalFailure
}
