import fc from 'fast-check'
import { basicAuth, TEST_ADMIN_PASSWORD, TEST_CLIENT_KEY } from '../helpers/test-app.js'

/**
 * Credentials a hostile or broken client presents: `authorization` malformed, in the wrong
 * scheme, huge, non-ASCII or empty, and `x-api-key` and `cookie` values beside it. None of the
 * wrong ones is ever the right secret in the right place, so a request that carries only them
 * must be refused.
 */

/** What a request carries: the right login or key (perhaps beside stray headers), or none. */
export interface PresentedCredentials {
  valid: boolean
  headers: Record<string, string>
  /**
   * Where a request with wrong credentials comes from: never the address of the valid requests,
   * so that the failed-login throttle (10 per address, docs/behaviour.md §6) cannot refuse those.
   */
  remoteAddress?: string
}

const base64 = (text: string) => Buffer.from(text, 'utf8').toString('base64')

const hostileText = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
)

/**
 * Well-formed Basic logins that are wrong: near misses of the user and of the password. These
 * are the ones the failed-login throttle counts.
 */
const wrongBasicLogin = fc
  .tuple(
    fc.constantFrom('admin', 'Admin', 'admin ', 'root', '', 'admin\u0000'),
    fc.oneof(
      fc.constantFrom(
        '',
        'wrong-password',
        TEST_ADMIN_PASSWORD,
        TEST_ADMIN_PASSWORD.toUpperCase(),
        TEST_ADMIN_PASSWORD.slice(0, -1),
        `${TEST_ADMIN_PASSWORD} `,
        `${TEST_ADMIN_PASSWORD}:`,
        'pässwörd-中文-🔑',
        'x'.repeat(20_000),
      ),
      hostileText,
    ),
  )
  .filter(([user, password]) => user !== 'admin' || password !== TEST_ADMIN_PASSWORD)
  .map(([user, password]) => `Basic ${base64(`${user}:${password}`)}`)

/** Malformed logins, the right secrets in the wrong scheme, and nonsense. */
const MALFORMED_AUTHORIZATIONS = [
  '',
  ' ',
  'Basic',
  'Basic ',
  'Basic ====',
  'Basic !!!not-base64!!!',
  `Basic ${base64('admin')}`,
  `Basic ${base64(':')}`,
  'Basic 中文',
  'Basic \ud800',
  `Basic ${'QUFB'.repeat(5000)}`,
  `Bearer ${base64(`admin:${TEST_ADMIN_PASSWORD}`)}`,
  `admin:${TEST_ADMIN_PASSWORD}`,
  `Digest username="admin", realm="SiliconFlow Proxy"`,
  'Bearer',
  'Bearer ',
  'Bearer a b',
  'Bearer sk-test-client-key-0002',
  `Bearer ${TEST_CLIENT_KEY}x`,
  `Bearer ${TEST_CLIENT_KEY.toUpperCase()}`,
  `Bearer ${TEST_CLIENT_KEY.slice(0, -1)}`,
  `Bearer ${'x'.repeat(20_000)}`,
  'Bearer sk-ключ-中文-🔑',
  'Bearer \u0000',
  TEST_CLIENT_KEY,
  'Token abc',
  'caf\u00e9 \u00ff',
]

/** Never the admin login nor a Bearer client key: the same values serve the admin and the proxy. */
const wrongAuthorization = fc.oneof(
  { weight: 8, arbitrary: wrongBasicLogin },
  { weight: 2, arbitrary: fc.constantFrom(...MALFORMED_AUTHORIZATIONS) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom('Basic ', 'basic ', 'Bearer ', 'bearer ', ''), hostileText)
      .map(([scheme, text]) => `${scheme}${text}`),
  },
)

/** Never the client key, nor the client key with only white space around it. */
const wrongApiKey = fc.oneof(
  fc.constantFrom(
    '',
    ' ',
    'sk-',
    `${TEST_CLIENT_KEY} x`,
    `${TEST_CLIENT_KEY}, ${TEST_CLIENT_KEY}`,
    TEST_ADMIN_PASSWORD,
    `Bearer ${TEST_CLIENT_KEY}`,
    'sk-ключ-🔑',
    'x'.repeat(20_000),
  ),
  hostileText.filter((text) => text.trim() !== TEST_CLIENT_KEY),
)

/** Cookies, which neither the admin API nor the proxy reads: the right secrets in them log no one in. */
const hostileCookie = fc.oneof(
  fc.constantFrom(
    '',
    '=;=;',
    'a=b; c',
    'session=abc',
    `authorization=${encodeURIComponent(basicAuth())}`,
    `api_key=${TEST_CLIENT_KEY}`,
    `sid=${'x'.repeat(20_000)}`,
    '🔑=中文',
  ),
  hostileText,
)

/** Wrong credentials in any of the places a secret could go (mostly `authorization`), or none. */
const wrongCredentials = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record(
      { authorization: wrongAuthorization, 'x-api-key': wrongApiKey, cookie: hostileCookie },
      { requiredKeys: ['authorization'] },
    ),
  },
  {
    weight: 1,
    arbitrary: fc.record({ 'x-api-key': wrongApiKey, cookie: hostileCookie }, { requiredKeys: [] }),
  },
)

/** Stray headers beside valid credentials: they must change nothing. */
const strays = fc.record({ 'x-api-key': wrongApiKey, cookie: hostileCookie }, { requiredKeys: [] })

/**
 * Addresses of clients with wrong credentials: one again and again (it reaches the throttle,
 * 429), and many others (mostly 401). Loopback addresses other than 127.0.0.1, the address of the
 * valid requests, so that a real socket can come from them too (Linux answers on all of 127/8).
 */
const THROTTLED_ADDRESS = '127.0.0.7'
const strangerAddress = fc.oneof(
  { weight: 6, arbitrary: fc.constant(THROTTLED_ADDRESS) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 254 }).map((n) => `127.0.1.${n}`) },
)

/** Four in five requests with `valid` credentials, the others from strangers with wrong ones. */
function mixed(valid: fc.Arbitrary<PresentedCredentials>): fc.Arbitrary<PresentedCredentials> {
  return fc.oneof(
    { weight: 4, arbitrary: valid },
    {
      weight: 1,
      arbitrary: fc
        .tuple(wrongCredentials, strangerAddress)
        .map(([headers, remoteAddress]) => ({ valid: false, headers, remoteAddress })),
    },
  )
}

/** Mostly the admin login (stray headers beside it at times), sometimes only wrong ones. */
export const adminCredentials: fc.Arbitrary<PresentedCredentials> = mixed(
  fc
    .oneof(fc.constant({}), strays)
    .map((stray) => ({ valid: true, headers: { ...stray, authorization: basicAuth() } })),
)

/**
 * The client key as the SDKs send it, or as x-api-key, with stray headers at times; a stray
 * x-api-key goes only beside a Bearer key, which takes precedence over it.
 */
export const validProxyCredentials: fc.Arbitrary<PresentedCredentials> = fc
  .oneof(
    fc
      .tuple(
        fc.constantFrom(`Bearer ${TEST_CLIENT_KEY}`, `bearer   ${TEST_CLIENT_KEY}  `),
        fc.oneof(fc.constant({}), strays),
      )
      .map(([authorization, stray]) => ({ ...stray, authorization })),
    fc.option(hostileCookie, { nil: undefined }).map((cookie) => ({
      'x-api-key': TEST_CLIENT_KEY,
      ...(cookie === undefined ? {} : { cookie }),
    })),
  )
  .map((headers) => ({ valid: true, headers }))

/** Mostly the client key, sometimes wrong ones only: neither `authorization` nor `x-api-key` holds it. */
export const proxyCredentials: fc.Arbitrary<PresentedCredentials> = mixed(validProxyCredentials)
