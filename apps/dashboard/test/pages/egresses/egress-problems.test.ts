import { isEgressUrlProblem, parseEgressUrl } from '@sfp/schemas'
import { describe, expect, it } from 'vitest'
import { translate } from '../../../src/i18n/catalog.js'
import {
  builtinEgressId,
  describeUrl,
  isKnownReason,
  translateReason,
} from '../../../src/pages/egresses/egress-problems.js'
import { egressView } from '../../helpers/fixtures.js'

/** One input for every reason `parseEgressUrl` gives. */
const BAD_URLS = [
  '',
  `http://${'a'.repeat(2100)}:1`,
  'http://host name:1',
  'proxy.example:8080',
  'ftp://host:21',
  'socks5://host',
  'http://host:70000',
  'http://-bad-:8080',
  'http://%zz:pw@host:8080',
  'http://:pw@host:8080',
  `http://${'u'.repeat(256)}:pw@host:8080`,
]

describe('egress URL problems', () => {
  it('has a translation for every reason the URL parser gives', () => {
    const reasons = new Set<string>()
    for (const url of BAD_URLS) {
      const parsed = parseEgressUrl(url)
      if (!isEgressUrlProblem(parsed)) throw new Error(`${url.slice(0, 40)} was accepted`)
      reasons.add(parsed.reason)
    }
    // Each input above hits a reason of its own: a new reason in the parser needs a new input.
    expect(reasons.size).toBe(BAD_URLS.length)
    for (const reason of reasons) {
      expect(isKnownReason(reason), reason).toBe(true)
      const t = (key: Parameters<typeof translate>[1], values?: Record<string, string | number>) =>
        translate('zh', key, values)
      expect(translateReason(t, reason)).not.toBe(reason)
    }
  })

  it('passes an unknown reason through as the server wrote it', () => {
    const t = (key: Parameters<typeof translate>[1]) => translate('en', key)
    expect(translateReason(t, 'a reason from a newer server')).toBe('a reason from a newer server')
    expect(translateReason(t, 'must be an IPv4 or IPv6 address of this host')).toBe(
      'Must be an IPv4 or IPv6 address of this host.',
    )
  })

  it('describes a URL without keeping it', () => {
    const shape = describeUrl('socks5h://bob:s3cret@proxy.example:1080')
    expect(shape).toEqual({ kind: 'proxy', proxyKind: 'socks5', withPassword: true })
    expect(JSON.stringify(shape)).not.toContain('s3cret')
    expect(describeUrl(' DIRECT ')).toEqual({ kind: 'direct' })
    expect(describeUrl('  ')).toEqual({ kind: 'empty' })
    expect(describeUrl('http://host').kind).toBe('invalid')
  })

  it('takes the direct egress with the lowest id for the built-in one', () => {
    expect(
      builtinEgressId([
        egressView({ id: 3, kind: 'http', url: 'http://h:1' }),
        egressView({ id: 5 }),
        egressView({ id: 2 }),
      ]),
    ).toBe(2)
    expect(builtinEgressId([egressView({ id: 3, kind: 'socks5', url: 'socks5://h:1' })])).toBe(null)
  })
})
