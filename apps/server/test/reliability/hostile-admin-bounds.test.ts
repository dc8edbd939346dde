import fc from 'fast-check'
import { describe, it } from 'vitest'
import {
  type AdminRequest,
  check,
  MANAGE,
  type Method,
  noBody,
  PROPERTY_TIMEOUT_MS,
  showStatuses,
} from './admin-property.js'
import { hostileScalar } from './hostile-input.js'

const PER_PARAMETER_RUNS = 40
/** The latest time a JavaScript Date can hold, in ms since the epoch. */
const MAX_DATE_MS = 8.64e15

/**
 * The admin API at the edges of its inputs, one at a time: every numeric and time query
 * parameter alone at and beyond its limits, and well-formed bodies with a single hostile field.
 * A whole request of hostile parts is mostly refused for its first bad part; these reach the
 * checks behind it. Same rules: 2xx or 4xx, never 5xx, a refusal changes nothing.
 */
describe('hostile input to the admin API, one part at a time', {
  timeout: PROPERTY_TIMEOUT_MS,
}, () => {
  it('numeric and time query parameters, alone, at and beyond every limit', async ({
    annotate,
  }) => {
    const parameters = [
      ['/logs', ['cursor', 'limit', 'keyId', 'status', 'from', 'to']],
      ['/stats', ['from', 'to', 'keyId']],
      ['/key-events', ['keyId', 'limit']],
      ['/api-keys', ['limit', 'offset']],
    ] as const
    // Biased towards the extremes (0, ±2^53) and the ends of a Date's range (±8.64e15 ms), where
    // ids, limits and times meet their bounds.
    const number = fc.oneof(
      fc.maxSafeInteger(),
      fc.integer({ min: MAX_DATE_MS - 1000, max: MAX_DATE_MS + 1000 }),
      fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }),
      fc.double({ noNaN: true }),
    )
    for (const [path, names] of parameters) {
      for (const name of names) {
        const request = number.map(
          (value): AdminRequest => ({
            method: 'GET',
            url: `${MANAGE}${path}?${name}=${encodeURIComponent(String(value))}`,
            body: noBody,
            headers: {},
          }),
        )
        await check(request, [], PER_PARAMETER_RUNS)
      }
    }
    await showStatuses(annotate)
  })

  it('well-formed bodies with one hostile field, on every route that takes a body', async ({
    annotate,
  }) => {
    const valid: [Method, fc.Arbitrary<string>, Record<string, unknown>][] = [
      ['POST', fc.constant('/api-keys'), { api_key: 'sk-fresh-key-0123456789', label: 'x' }],
      ['POST', fc.constant('/api-keys'), { api_keys: 'sk-a-0123456789 sk-b-0123456789' }],
      ['PATCH', fc.constantFrom('/api-keys/1', '/api-keys/2'), { enabled: true, label: 'y' }],
      ['POST', fc.constant('/api-keys/bulk'), { action: 'disable', ids: [1, 2] }],
      ['POST', fc.constant('/client-keys'), { name: 'a client' }],
    ]
    const request = fc
      .constantFrom(...valid)
      .chain(([method, path, body]) =>
        fc.record({
          path,
          field: fc.constantFrom(...Object.keys(body), 'stray'),
          value: hostileScalar,
          method: fc.constant(method),
          body: fc.constant(body),
        }),
      )
      .map(
        ({ method, path, field, value, body }): AdminRequest => ({
          method,
          url: `${MANAGE}${path}`,
          body: {
            contentType: 'application/json',
            payload: JSON.stringify({ ...body, [field]: value }),
          },
          headers: {},
        }),
      )
    await check(request)
    await showStatuses(annotate)
  })
})
