import { describe, expect, it } from 'vitest'
import { apiErrorBodySchema, errorBody } from '../src/errors.js'
import { explanation } from '../src/explanations.js'

const guard = explanation('guard_holds', {
  egressId: 1,
  minutes: 30,
  windowEndsAt: '2026-01-01T12:30:00.000Z',
  subject: { kind: 'key', keyId: 2, lastKeyId: 1 },
  hint: 'switch_sooner',
})

describe('the error envelope', () => {
  it('carries the explanation inside `error`, beside the English message', () => {
    const body = errorBody('key_switch_guard', 'The key-switch guard…', { explanation: guard })
    expect(body).toEqual({
      error: {
        message: 'The key-switch guard…',
        type: 'server_error',
        code: 'key_switch_guard',
        explanation: guard,
      },
    })
    expect(apiErrorBodySchema.parse(body).error.explanation).toEqual(guard)
  })

  it('keeps OpenAI’s shape when there is nothing to explain', () => {
    expect(errorBody('invalid_client_key', 'Missing key')).toEqual({
      error: { message: 'Missing key', type: 'authentication_error', code: 'invalid_client_key' },
    })
  })

  it('reads an explanation of a code it does not know as absent, keeping the rest', () => {
    const body = {
      error: {
        message: 'from a newer server',
        type: 'server_error',
        code: 'queue_full',
        explanation: { code: 'not_a_code_yet', params: {} },
      },
    }
    const parsed = apiErrorBodySchema.parse(body)
    expect(parsed.error.message).toBe('from a newer server')
    expect(parsed.error.explanation).toBeUndefined()
  })
})
