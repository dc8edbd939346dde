import { describe, expect, it } from 'vitest'
import {
  createClientKeyBodySchema,
  formatIpRange,
  ipInRange,
  parseIpAddress,
  parseIpRange,
  patchClientKeyBodySchema,
} from '../src/client-keys.js'

const canonical = (text: string) => {
  const range = parseIpRange(text)
  return range === null ? null : formatIpRange(range)
}

describe('IP ranges', () => {
  it.each([
    ['192.0.2.1', '192.0.2.1'],
    ['10.1.2.3/8', '10.0.0.0/8'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['2001:db8::1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'],
    ['2001:db8:aaaa:bbbb::/32', '2001:db8::/32'],
    ['::', '::'],
    ['::1', '::1'],
    ['fe80::/10', 'fe80::/10'],
    ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
    ['::ffff:192.0.2.1', '192.0.2.1'],
    ['64:ff9b::192.0.2.1', '64:ff9b::c000:201'],
  ])('reads %s as %s', (text, expected) => {
    expect(canonical(text)).toBe(expected)
  })

  it.each([
    '',
    '256.0.0.1',
    '1.2.3',
    '01.2.3.4',
    '10.0.0.0/33',
    '10.0.0.0/08',
    '10.0.0.0/',
    '1:2:3:4:5:6:7:8:9',
    '1::2::3',
    '1:2:3:4:5:6:7::8',
    'fe80::1%eth0',
    '2001:db8::/129',
    'example.com',
    ':1',
  ])('refuses %j', (text) => {
    expect(parseIpRange(text)).toBeNull()
  })

  it('matches addresses to ranges of their own family, mapped IPv4 as IPv4', () => {
    const range = (text: string) => parseIpRange(text) ?? expect.fail(text)
    const address = (text: string) => parseIpAddress(text) ?? expect.fail(text)
    expect(ipInRange(address('10.200.3.4'), range('10.0.0.0/8'))).toBe(true)
    expect(ipInRange(address('11.0.0.1'), range('10.0.0.0/8'))).toBe(false)
    expect(ipInRange(address('::ffff:10.0.0.1'), range('10.0.0.0/8'))).toBe(true)
    expect(ipInRange(address('192.168.1.130'), range('192.168.1.128/25'))).toBe(true)
    expect(ipInRange(address('192.168.1.127'), range('192.168.1.128/25'))).toBe(false)
    expect(ipInRange(address('2001:db8:ffff::1'), range('2001:db8::/32'))).toBe(true)
    expect(ipInRange(address('2001:db9::1'), range('2001:db8::/32'))).toBe(false)
    expect(ipInRange(address('10.0.0.1'), range('::/0'))).toBe(false)
    expect(ipInRange(address('2001:db8::1'), range('0.0.0.0/0'))).toBe(false)
  })
})

describe('client key limits', () => {
  it('normalises lists: trimmed, canonical, without repeats, sorted', () => {
    const body = createClientKeyBodySchema.parse({
      name: 'team',
      models: [' deepseek-ai/* ', 'Qwen/Qwen2.5-7B-Instruct', 'deepseek-ai/*'],
      allowedIps: ['10.9.8.7/8', '2001:DB8::/32', '10.0.0.0/8', '192.0.2.1'],
      expiresAt: '2026-02-01T08:00:00+08:00',
      note: '   ',
    })
    expect(body).toEqual({
      name: 'team',
      models: ['Qwen/Qwen2.5-7B-Instruct', 'deepseek-ai/*'],
      allowedIps: ['10.0.0.0/8', '192.0.2.1', '2001:db8::/32'],
      expiresAt: '2026-02-01T00:00:00.000Z',
      note: null,
    })
  })

  it.each([
    [{ models: [] }, 'models'],
    [{ models: ['*'] }, 'models.0'],
    [{ models: ['Qwen/*-Instruct'] }, 'models.0'],
    [{ models: ['has space'] }, 'models.0'],
    [{ allowedIps: ['10.0.0.0/40'] }, 'allowedIps.0'],
    [{ allowedIps: [] }, 'allowedIps'],
    [{ rpm: 0 }, 'rpm'],
    [{ rpm: 1.5 }, 'rpm'],
    [{ dailyTokens: -1 }, 'dailyTokens'],
    [{ monthlySpendCny: 0 }, 'monthlySpendCny'],
    [{ expiresAt: 'tomorrow' }, 'expiresAt'],
    [{ note: 'x'.repeat(501) }, 'note'],
  ])('refuses %j at %s', (limits, field) => {
    const result = patchClientKeyBodySchema.safeParse(limits)
    expect(result.success).toBe(false)
    expect(result.error?.issues[0]?.path.join('.')).toBe(field)
  })

  it('takes null as no limit, and refuses an empty patch', () => {
    expect(patchClientKeyBodySchema.parse({ models: null, rpm: null })).toEqual({
      models: null,
      rpm: null,
    })
    const empty = patchClientKeyBodySchema.safeParse({})
    expect((empty.error?.issues[0] as { params?: unknown } | undefined)?.params).toMatchObject({
      rule: { kind: 'one_of' },
    })
  })
})
