import fc from 'fast-check'

/**
 * Arbitraries for input a hostile or broken client sends: edge-case numbers and strings where ids,
 * limits and times go, JSON of the wrong shape, bodies that are not JSON at all, odd headers and
 * query strings. Shared by the admin and the proxy properties.
 */

/** Strings that have broken parsers before: number edges, encodings, injections, huge values. */
const EDGE_STRINGS = [
  '',
  ' ',
  '0',
  '-0',
  '-1',
  '1.5',
  '1e3',
  '1e309',
  '-1e309',
  'NaN',
  'Infinity',
  '-Infinity',
  '0x10',
  '0b1',
  '1_000',
  '9007199254740991',
  '9007199254740993',
  '8640000000000001',
  '99999999999999999999999999',
  '-99999999999999999999999999',
  'null',
  'undefined',
  'true',
  '[]',
  '{}',
  '__proto__',
  'constructor',
  'toString',
  "1' OR '1'='1",
  '1; DROP TABLE upstream_keys',
  '%00',
  '\u0000',
  '\ud800',
  '中文',
  '🔑',
  '../../etc/passwd',
  '2026-11-20T10:00:00Z',
  '+275760-09-13T00:00:00.001Z',
  '9999-12-31T23:59:59.999Z',
  '0000-01-01T00:00:00Z',
  '2026-13-45T25:61:61Z',
  'sk-',
  `sk-${'x'.repeat(300)}`,
  'x'.repeat(5000),
]

const edgeString = fc.constantFrom(...EDGE_STRINGS)

/**
 * Percent-encoding as a client would put text in a URL; lone surrogates (which
 * `encodeURIComponent` refuses) go out as U+FFFD, as a UTF-8 encoder writes them.
 */
export const percentEncode = (text: string) =>
  encodeURIComponent(Buffer.from(text, 'utf8').toString('utf8'))
const edgeNumber = fc.oneof(
  fc.constantFrom(
    0,
    -0,
    -1,
    1,
    2,
    3,
    0.5,
    Number.MAX_SAFE_INTEGER,
    Number.MAX_SAFE_INTEGER + 2,
    -Number.MAX_SAFE_INTEGER,
    Number.MAX_VALUE,
    Number.MIN_VALUE,
    8.64e15,
    8.64e15 + 1,
    1e21,
  ),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
)

/** A value where a scalar is expected: edge strings and numbers, random text, wrong types. */
export const hostileScalar: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: edgeString },
  { weight: 3, arbitrary: edgeNumber },
  { weight: 2, arbitrary: fc.string() },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.constantFrom(true, false, null) },
  { weight: 1, arbitrary: fc.array(fc.oneof(edgeNumber, edgeString), { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.dictionary(fc.string({ maxLength: 5 }), edgeString, { maxKeys: 2 }) },
)

/** Text for path segments and query values: edge strings, numbers and random text. */
export const hostileText: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: edgeString },
  { weight: 3, arbitrary: edgeNumber.map(String) },
  { weight: 2, arbitrary: fc.string({ maxLength: 30 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
)

/** A path segment as a client could send it: usually percent-encoded, sometimes raw or broken. */
export const hostileSegment: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: hostileText.map(percentEncode) },
  { weight: 1, arbitrary: fc.constantFrom('%', '%E0%A4%A', '%zz', '%00', '..', '.', '%2e%2e') },
)

/** `?a=1&b=...`: known parameter names with hostile values, repeats, unknown names, bad escapes. */
export function hostileQuery(names: readonly string[]): fc.Arbitrary<string> {
  const name = fc.oneof(
    { weight: 5, arbitrary: fc.constantFrom(...(names.length > 0 ? names : ['q'])) },
    { weight: 1, arbitrary: fc.string({ maxLength: 8 }).map(percentEncode) },
    { weight: 1, arbitrary: fc.constantFrom('__proto__', 'constructor', 'a[b]', 'limit[]') },
  )
  const value = fc.oneof(
    { weight: 6, arbitrary: hostileText.map(percentEncode) },
    { weight: 1, arbitrary: fc.constantFrom('%', '%E0%A4%A', '%zz', '') },
  )
  const pair = fc.tuple(name, value).map(([n, v]) => `${n}=${v}`)
  const many = fc
    .array(fc.oneof({ weight: 9, arbitrary: pair }, { weight: 1, arbitrary: name }), {
      maxLength: 6,
    })
    .map((pairs) => (pairs.length === 0 ? '' : `?${pairs.join('&')}`))
  // One parameter alone often: a bad value next to others tends to be hidden by their 400.
  return fc.oneof(
    pair.map((one) => `?${one}`),
    many,
  )
}

/** A JSON object shaped like `fields` (each optional, each hostile) plus stray fields. */
export function hostileObject(fields: readonly string[]): fc.Arbitrary<Record<string, unknown>> {
  const known = Object.fromEntries(fields.map((field) => [field, hostileScalar]))
  return fc
    .tuple(
      fc.record(known, { requiredKeys: [] }),
      fc.dictionary(fc.constantFrom('extra', '__proto__', 'constructor', ''), hostileScalar, {
        maxKeys: 1,
      }),
    )
    .map(([shaped, stray]) => ({ ...stray, ...shaped }))
}

export interface HostileBody {
  contentType: string | undefined
  payload: string | Buffer | undefined
}

const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=utf-16le',
  'APPLICATION/JSON',
  'application/vnd.api+json',
  'text/plain',
  'text/event-stream',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=xyz',
  'multipart/form-data',
  'application/octet-stream',
  'image/png',
  'application/json;;;',
  'garbage',
  '',
]

/**
 * A request body: JSON shaped by `shaped`, any JSON value, broken JSON, binary, or none, under a
 * content type that may or may not match it.
 */
export function hostileBody(shaped: fc.Arbitrary<unknown>): fc.Arbitrary<HostileBody> {
  const payload = fc.oneof(
    { weight: 5, arbitrary: shaped.map((value) => JSON.stringify(value) ?? 'null') },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)) },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        '{',
        '{"a":',
        '[1,2',
        '"unterminated',
        '{"a":1}{"b":2}',
        '\u0000',
        '{"__proto__":{"polluted":true}}',
        '{"constructor":{"prototype":{"polluted":true}}}',
        `{"deep":${'['.repeat(5000)}${']'.repeat(5000)}}`,
        'null',
        '',
      ),
    },
    { weight: 1, arbitrary: fc.string({ maxLength: 60 }) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 60 }).map((bytes) => Buffer.from(bytes)) },
  )
  return fc.record({
    contentType: fc.oneof(
      { weight: 6, arbitrary: fc.constant('application/json') },
      { weight: 3, arbitrary: fc.constantFrom(...CONTENT_TYPES) },
      { weight: 1, arbitrary: fc.constant(undefined) },
    ),
    payload: fc.oneof(
      { weight: 9, arbitrary: payload },
      { weight: 1, arbitrary: fc.constant(undefined) },
    ),
  })
}

/** Header values a client may send: visible ASCII, and Latin-1 bytes, which HTTP still allows. */
const headerValue = fc.oneof(
  fc.constantFrom(
    '',
    ' ',
    'gzip',
    'identity',
    'br',
    'chunked',
    '*/*',
    'null',
    '0',
    '-1',
    'caf\u00e9 \u00ff',
    'x'.repeat(2000),
  ),
  fc.string({ unit: fc.constantFrom(...'abcXYZ019 ;,=/*-_."'.split('')), maxLength: 30 }),
)

/**
 * Extra request headers: negotiation and framing headers with odd values, and the ones that
 * have meaning here (origin checks, the dashboard marker, forwarding).
 */
const oddHeaders: fc.Arbitrary<Record<string, string>> = fc.record(
  {
    accept: fc.oneof(fc.constantFrom('application/json', 'text/event-stream'), headerValue),
    'accept-encoding': headerValue,
    'content-encoding': fc.oneof(fc.constantFrom('gzip', 'deflate', 'br', 'identity'), headerValue),
    'x-sfp-client': fc.constantFrom('dashboard', ''),
    'sec-fetch-site': fc.constantFrom('same-origin', 'none', 'cross-site', 'same-site', 'bogus'),
    origin: fc.constantFrom('http://localhost:80', 'http://evil.example', 'null', 'not a url'),
    'x-forwarded-for': fc.constantFrom('1.2.3.4', 'garbage', '::1, 10.0.0.1', ''),
    'x-request-id': headerValue,
    'if-none-match': headerValue,
    range: fc.constantFrom('bytes=0-10', 'bytes=-1', 'bytes=9999999999-', 'lines=1-2'),
    expect: fc.constantFrom('100-continue', 'bogus'),
  },
  { requiredKeys: [] },
)

/** Mostly none: an origin check that refuses (403) would otherwise hide what the handler does. */
export const hostileHeaders: fc.Arbitrary<Record<string, string>> = fc.oneof(
  { weight: 3, arbitrary: fc.constant({}) },
  { weight: 2, arbitrary: oddHeaders },
)
