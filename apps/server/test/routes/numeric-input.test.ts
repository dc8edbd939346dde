import { createManualClock } from '@sfp/test-support'
import { describe, expect, it } from 'vitest'
import { databaseDigest } from '../helpers/database-digest.js'
import { logRow } from '../helpers/log-rows.js'
import { basicAuth, buildTestApp, sqliteOf } from '../helpers/test-app.js'

/**
 * Regression (hostile tester): `DELETE /api/manage/api-keys/0x4` deleted key 4, because numbers in
 * paths and queries were read with `z.coerce.number()`, which takes `0x4`, `4e0`, `+4`, ` 4` and
 * `4.0` for 4. Every number of the admin API's paths and queries is now read from its decimal
 * digits only: anything else is 400 `validation_error` naming the field, and changes nothing.
 */

const admin = { authorization: basicAuth() }
const TIME = Date.parse('2026-11-20T00:00:00Z')
/** Enough rows that the look-alikes of the ids used below all name one that exists. */
const ROWS = 17

/** The brief's list: hex, exponent, sign, space, fraction, negative, full-width, `_`, too big. */
const HOSTILE = [
  '0x10',
  '1e1',
  '+1',
  ' 1',
  '1.0',
  '-1',
  '１',
  '1_0',
  '01',
  '9007199254740992',
  '9007199254740993',
  '1'.repeat(30),
]

const fullWidth = (digits: string) =>
  [...digits].map((digit) => String.fromCodePoint(0xff10 + Number(digit))).join('')

/** Spellings of `value` that `Number()` reads as `value` (or near it), and none is decimal. */
function lookalikes(value: number): string[] {
  const digits = String(value)
  return [
    `0x${value.toString(16)}`,
    `0X${value.toString(16).toUpperCase()}`,
    `0o${value.toString(8)}`,
    `0b${value.toString(2)}`,
    `${digits}e0`,
    `${digits}E0`,
    `${digits.slice(0, 1)}.${digits.slice(1)}e${digits.length - 1}`,
    `+${digits}`,
    ` ${digits}`,
    `${digits} `,
    `\t${digits}\n`,
    `${digits}.0`,
    `${digits}.`,
    `-${digits}`,
    `0${digits}`,
    `00${digits}`,
    fullWidth(digits),
    `${digits}_0`,
  ]
}

interface NumericInput {
  /** As the test is named. */
  name: string
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
  /** The URL below /api/manage with `text` in place (it is URL-encoded here). */
  url: (encoded: string) => string
  payload?: object
  field: string
  /** A value the route accepts; its look-alikes are refused. */
  value: number
  /** The answer to `value` itself, so the refusals are not from something else. */
  accepted: number
}

const id = (
  method: NumericInput['method'],
  path: (id: string) => string,
  accepted: number,
  payload?: object,
): NumericInput => ({
  name: `${method} ${path(':id')}`,
  method,
  url: path,
  field: 'params.id',
  value: 16,
  accepted,
  ...(payload ? { payload } : {}),
})

const query = (path: string, name: string, value: number, extra = ''): NumericInput => ({
  name: `GET ${path}?${name}`,
  method: 'GET',
  url: (text) => `${path}?${name}=${text}${extra}`,
  field: `query.${name}`,
  value,
  accepted: 200,
})

const NUMERIC_INPUTS: NumericInput[] = [
  id('DELETE', (k) => `/api-keys/${k}`, 204),
  id('PATCH', (k) => `/api-keys/${k}`, 200, { enabled: false }),
  id('PUT', (k) => `/api-keys/${k}/activate`, 200),
  id('POST', (k) => `/api-keys/${k}/check`, 200),
  id('DELETE', (k) => `/client-keys/${k}`, 204),
  id('PATCH', (k) => `/egresses/${k}`, 200, { label: 'changed' }),
  id('DELETE', (k) => `/egresses/${k}`, 204),
  id('POST', (k) => `/egresses/${k}/check`, 200),
  query('/api-keys', 'limit', 10),
  query('/api-keys', 'offset', 1),
  query('/key-events', 'keyId', 2),
  query('/key-events', 'limit', 10),
  query('/logs', 'cursor', 10),
  query('/logs', 'limit', 10),
  query('/logs', 'keyId', 2),
  query('/logs', 'egressId', 2),
  query('/logs', 'status', 503),
  query('/logs', 'from', TIME),
  query('/logs', 'to', TIME),
  query('/stats', 'from', TIME, `&to=${TIME + 3_600_000}`),
  query('/stats', 'to', TIME, `&from=${TIME - 3_600_000}`),
  query('/stats', 'keyId', 2),
  query('/stats', 'egressId', 2),
]

/** Some of everything, ids 1..ROWS (egress 1 is the built-in direct one). */
async function seededApp() {
  const test = await buildTestApp(
    { KEY_SWITCH_POLICY: 'immediate' },
    { clock: createManualClock(TIME) },
  )
  const { app } = test
  await app.keyPool.add({
    api_keys: Array.from(
      { length: ROWS },
      (_, i) => `sk-${String(i).padStart(4, '0')}${'k'.repeat(44)}`,
    ).join('\n'),
  })
  for (let i = 2; i <= ROWS; i++) await app.egress.create({ url: `http://10.0.0.${i}:8080` })
  for (let i = 1; i <= ROWS; i++) await app.clientKeys.create(`client ${i}`)
  for (let i = 0; i < 40; i++) {
    app.requestLog.record(
      logRow({
        requestId: `r${i}`,
        time: TIME - i * 60_000,
        upstreamKeyId: (i % 3) + 1,
        egressId: (i % 2) + 1,
        status: i % 4 === 0 ? 503 : 200,
      }),
    )
  }
  await app.requestLog.flush()
  const sqlite = sqliteOf(app)
  /** The app's tables and the egresses (not among the digest helper's tables). */
  const digest = () =>
    `${databaseDigest(sqlite)} ${JSON.stringify(sqlite.prepare('SELECT * FROM egresses ORDER BY id').all())}`
  return { ...test, digest }
}

describe('numbers in admin paths and queries: decimal digits only', () => {
  it.each(NUMERIC_INPUTS.map((input) => [input.name, input] as const))('%s', async (_, input) => {
    const { app, digest } = await seededApp()
    const send = (text: string) =>
      app.inject({
        method: input.method,
        url: `/api/manage${input.url(encodeURIComponent(text))}`,
        headers: admin,
        ...(input.payload ? { payload: input.payload } : {}),
      })
    const refused = [...new Set([...HOSTILE, ...lookalikes(input.value)])]
    // A query may also be empty (`?limit=`), which `Number('')` read as 0.
    if (input.field.startsWith('query.')) refused.push('')

    const before = digest()
    const answers = []
    for (const text of refused) {
      const response = await send(text)
      const { error } = response.json()
      answers.push({
        text,
        status: response.statusCode,
        code: error?.code,
        fields: error?.fields?.map((issue: { field: string }) => issue.field),
      })
    }
    expect(answers).toEqual(
      refused.map((text) => ({
        text,
        status: 400,
        code: 'validation_error',
        fields: [input.field],
      })),
    )
    expect(digest(), 'a refused request changed the database').toBe(before)

    // The same route takes the decimal spelling (so the refusals above were about the number).
    const accepted = await send(String(input.value))
    expect(accepted.statusCode, accepted.body).toBe(input.accepted)
  })

  it('refuses a repeated query key rather than reading its first or last value', async () => {
    const { app } = await seededApp()
    for (const url of ['/api-keys?offset=1&offset=2', '/logs?status=503&status=200']) {
      const response = await app.inject({ method: 'GET', url: `/api/manage${url}`, headers: admin })
      expect(response.statusCode, url).toBe(400)
    }
  })

  it('says what it wants in the reason', async () => {
    const { app } = await seededApp()
    const response = await app.inject({
      method: 'GET',
      url: '/api/manage/logs?limit=0x10&status=0x1f7&from=1e12&cursor=%2B5',
      headers: admin,
    })
    expect(response.statusCode).toBe(400)
    const fields = response.json().error.fields as {
      field: string
      reason: string
      rule: unknown
    }[]
    // English words for scripts, and each rule as a code the dashboard words.
    expect(fields).toEqual([
      {
        field: 'query.cursor',
        reason: 'must be a cursor returned by a previous page',
        rule: { kind: 'cursor' },
      },
      {
        field: 'query.limit',
        reason: 'must be a decimal integer from 1 to 500',
        rule: { kind: 'decimal_integer', minimum: 1, maximum: 500 },
      },
      {
        field: 'query.status',
        reason: 'must be 2xx, 3xx, 4xx, 5xx, error or a status code from 100 to 599',
        rule: { kind: 'status_filter' },
      },
      {
        field: 'query.from',
        reason:
          'must be an ISO 8601 time or milliseconds since 1970 (a decimal integer from 0 to 8640000000000000)',
        rule: { kind: 'time', maximum: 8_640_000_000_000_000 },
      },
    ])
  })
})
