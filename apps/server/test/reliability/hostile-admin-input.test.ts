import fc from 'fast-check'
import { describe, it } from 'vitest'
import {
  adminRequest,
  check,
  idSegment,
  MANAGE,
  type Method,
  methodOr,
  noBody,
  PROPERTY_TIMEOUT_MS,
  showStatuses,
} from './admin-property.js'
import { hostileObject, hostileScalar } from './hostile-input.js'

/**
 * Every admin route (docs/behaviour.md §6) under generated bodies, headers and query strings,
 * mostly with the admin login and sometimes with only wrong credentials: answers are 2xx or 4xx in
 * the error envelope (only 4xx without the login), never 5xx, and a rejected request leaves every
 * table as it was.
 */
describe('hostile input to the admin API', { timeout: PROPERTY_TIMEOUT_MS }, () => {
  it('GET/POST /api-keys: listing filters and key imports', async ({ annotate }) => {
    await check(
      adminRequest(
        methodOr('GET', 'POST'),
        fc.constant('/api-keys'),
        ['status', 'limit', 'offset'],
        fc.oneof(hostileObject(['api_key', 'label']), hostileObject(['api_keys', 'label'])),
      ),
    )
    await showStatuses(annotate)
  })

  it('/api-keys/:id: PATCH, DELETE, activate and check', async ({ annotate }) => {
    const patchBody = fc.oneof(
      hostileObject(['enabled', 'label']),
      fc.record(
        { enabled: fc.boolean(), label: fc.option(fc.string({ maxLength: 120 })) },
        { requiredKeys: [] },
      ),
    )
    const byAction = (action: string, method: Method) =>
      adminRequest(
        methodOr(method),
        idSegment.map((id) => `/api-keys/${id}${action}`),
        [],
        patchBody,
      )
    await check(
      fc.oneof(
        { weight: 3, arbitrary: byAction('', 'PATCH') },
        { weight: 1, arbitrary: byAction('', 'DELETE') },
        { weight: 2, arbitrary: byAction('/activate', 'PUT') },
        { weight: 2, arbitrary: byAction('/check', 'POST') },
      ),
      [
        // Found by this property: refused by the router before any handler (414 over-long
        // parameter, 400 broken escape), in Fastify's own body instead of the error envelope.
        {
          method: 'PATCH',
          url: `${MANAGE}/api-keys/${'x'.repeat(5000)}`,
          body: noBody,
          headers: {},
        },
        { method: 'DELETE', url: `${MANAGE}/api-keys/%E0%A4%A`, body: noBody, headers: {} },
      ],
    )
    await showStatuses(annotate)
  })

  it('POST /api-keys/bulk and GET /api-keys/export', async ({ annotate }) => {
    const bulkBody = fc.oneof(
      hostileObject(['action', 'ids']),
      fc.record({
        action: fc.constantFrom('delete', 'check', 'enable', 'disable'),
        ids: fc.array(hostileScalar, { maxLength: 5 }),
      }),
    )
    await check(
      fc.oneof(
        adminRequest(methodOr('POST'), fc.constant('/api-keys/bulk'), [], bulkBody),
        adminRequest(methodOr('GET'), fc.constant('/api-keys/export'), ['format']),
      ),
    )
    await showStatuses(annotate)
  })

  it('/client-keys and /client-keys/:id', async ({ annotate }) => {
    await check(
      fc.oneof(
        adminRequest(
          methodOr('GET', 'POST'),
          fc.constant('/client-keys'),
          [],
          hostileObject(['name']),
        ),
        adminRequest(
          methodOr('DELETE'),
          idSegment.map((id) => `/client-keys/${id}`),
          [],
        ),
      ),
    )
    await showStatuses(annotate)
  })

  it('GET /logs, /stats and /key-events: filters, cursors and time ranges', async ({
    annotate,
  }) => {
    await check(
      fc.oneof(
        adminRequest(methodOr('GET'), fc.constant('/logs'), [
          'cursor',
          'limit',
          'keyId',
          'status',
          'model',
          'from',
          'to',
        ]),
        adminRequest(methodOr('GET'), fc.constant('/stats'), [
          'from',
          'to',
          'bucket',
          'keyId',
          'groupBy',
        ]),
        adminRequest(methodOr('GET'), fc.constant('/key-events'), ['keyId', 'limit']),
      ),
      [
        // Found by the numeric property (hostile-admin-bounds): a time past the range of a Date
        // passed validation and `toISOString()` threw, 500. Kept, with its neighbour on /logs.
        { method: 'GET', url: `${MANAGE}/stats?to=8640000000000001`, body: noBody, headers: {} },
        { method: 'GET', url: `${MANAGE}/logs?from=9007199254740991`, body: noBody, headers: {} },
      ],
    )
    await showStatuses(annotate)
  })

  it('GET /status, /config and /backup', async ({ annotate }) => {
    await check(
      adminRequest(methodOr('GET'), fc.constantFrom('/status', '/config', '/backup'), ['x']),
    )
    await showStatuses(annotate)
  })
})
