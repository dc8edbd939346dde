import { describe, expect, it } from 'vitest'
import {
  createEgressBodySchema,
  displayProxyUrl,
  isEgressUrlProblem,
  parseEgressUrl,
} from '../src/egresses.js'

const reason = (input: string) => {
  const parsed = parseEgressUrl(input)
  return isEgressUrlProblem(parsed) ? parsed.reason : null
}

describe('parseEgressUrl', () => {
  it('reads direct and each proxy scheme, credentials percent-decoded', () => {
    expect(parseEgressUrl(' Direct ')).toEqual({ kind: 'direct' })
    expect(parseEgressUrl('HTTP://Proxy.Example:3128')).toEqual({
      kind: 'http',
      scheme: 'http',
      host: 'proxy.example',
      port: 3128,
      username: null,
      password: null,
    })
    expect(parseEgressUrl('https://u@10.0.0.1:443/')).toMatchObject({
      kind: 'https',
      username: 'u',
      password: null,
    })
    expect(parseEgressUrl('socks5://a%20b:p%40ss@[::1]:1080')).toEqual({
      kind: 'socks5',
      scheme: 'socks5',
      host: '::1',
      port: 1080,
      username: 'a b',
      password: 'p@ss',
    })
    expect(parseEgressUrl('socks5h://h:1')).toMatchObject({ kind: 'socks5', scheme: 'socks5h' })
  })

  it.each([
    ['', 'give "direct" or a proxy URL'],
    ['ftp://h:21', 'the scheme must be http, https, socks5 or socks5h'],
    ['h:8080', 'must be "direct" or a URL such as socks5://host:1080'],
    ['http://h', 'must be scheme://[user:password@]host:port'],
    ['http://h:80/path', 'must be scheme://[user:password@]host:port'],
    ['http://h:80?x=1', 'must be scheme://[user:password@]host:port'],
    ['http://h :80', 'must not contain spaces or control characters'],
    ['http://h:0', 'the port must be between 1 and 65535'],
    ['http://h:65536', 'the port must be between 1 and 65535'],
    ['http://[zz::1]:80', 'must be scheme://'],
    ['http://[1::2::3]:80', 'the host is not a valid name or IP address'],
    ['http://bad_host:80', 'the host is not a valid name or IP address'],
    ['http://:p@h:80', 'the user name is empty'],
    ['http://u:%zz@h:80', 'the user name or password is not validly percent-encoded'],
    [`http://${'a'.repeat(3000)}:80`, 'must be at most 2048 characters'],
  ])('refuses %j: %s', (input, expected) => {
    expect(reason(input)).toContain(expected)
  })

  it('shows a proxy URL with its password as *** and never the password', () => {
    const shown = displayProxyUrl({
      scheme: 'socks5h',
      host: '2001:db8::1',
      port: 1080,
      username: 'a b',
      hasPassword: true,
    })
    expect(shown).toBe('socks5h://a%20b:***@[2001:db8::1]:1080')
  })

  it('validates the create body with the same parser, naming the field', () => {
    const result = createEgressBodySchema.safeParse({ url: 'http://h', label: 'x' })
    expect(result.success).toBe(false)
    expect(result.error?.issues[0]).toMatchObject({ path: ['url'] })
    expect(createEgressBodySchema.safeParse({ url: 'direct', localAddress: '::1' }).success).toBe(
      true,
    )
  })
})
