import { isEgressUrlProblem, parseEgressUrl } from '@sfp/schemas'
import { describe, expect, it } from 'vitest'
import { ruleText } from '../../../src/i18n/field-issues.js'
import { builtinEgressId, describeUrl } from '../../../src/pages/egresses/egress-problems.js'
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
  it('words every problem the URL parser finds in Chinese, by its code', () => {
    const problems = new Set<string>()
    for (const url of BAD_URLS) {
      const parsed = parseEgressUrl(url)
      if (!isEgressUrlProblem(parsed)) throw new Error(`${url.slice(0, 40)} was accepted`)
      problems.add(parsed.problem)
      // The form words its own check by the same code (an empty field is simply empty).
      if (url !== '') expect(describeUrl(url)).toEqual({ kind: 'invalid', problem: parsed.problem })
      const zh = ruleText('zh', { kind: 'egress_url', problem: parsed.problem })
      // Worded, in Chinese, never the parser's English reason.
      expect(zh).toMatch(/[\u4e00-\u9fff]/)
      expect(zh).not.toBe(parsed.reason)
    }
    // Each input above hits a problem of its own: a new problem in the parser needs a new input.
    expect(problems.size).toBe(BAD_URLS.length)
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
