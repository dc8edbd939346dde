import { describe, expect, it } from 'vitest'
import {
  ADMIN_PASSWORD_MAX_LENGTH,
  ADMIN_PASSWORD_MIN_LENGTH,
  changeAdminPasswordBodySchema,
  envSchema,
} from '../src/index.js'

describe('changeAdminPasswordBodySchema', () => {
  const parse = (body: unknown) => changeAdminPasswordBodySchema.safeParse(body)
  const fieldsOf = (body: unknown) => {
    const result = parse(body)
    return result.success ? [] : result.error.issues.map((issue) => issue.path.join('.'))
  }

  it('takes the current password and a new one of 8 to 1024 characters', () => {
    expect(parse({ currentPassword: 'old', newPassword: '12345678' }).success).toBe(true)
    expect(parse({ currentPassword: 'old', newPassword: 'x'.repeat(1024) }).success).toBe(true)
  })

  it('applies the rule of ADMIN_PASSWORD itself', () => {
    expect([ADMIN_PASSWORD_MIN_LENGTH, ADMIN_PASSWORD_MAX_LENGTH]).toEqual([8, 1024])
    for (const password of ['1234567', '12345678', 'x'.repeat(1025)]) {
      const env = envSchema.shape.ADMIN_PASSWORD.safeParse(password).success
      expect(parse({ currentPassword: 'old', newPassword: password }).success, password).toBe(env)
    }
  })

  it.each([
    ['a short new password', { currentPassword: 'old', newPassword: '1234567' }, 'newPassword'],
    [
      'the same password',
      { currentPassword: 'same-pass', newPassword: 'same-pass' },
      'newPassword',
    ],
    ['no current password', { currentPassword: '', newPassword: '12345678' }, 'currentPassword'],
    ['a missing field', { newPassword: '12345678' }, 'currentPassword'],
    ['a number', { currentPassword: 'old', newPassword: 12345678 }, 'newPassword'],
    ['an unknown field', { currentPassword: 'o', newPassword: '12345678', user: 'admin' }, ''],
  ])('refuses %s', (_, body, field) => {
    expect(fieldsOf(body)).toEqual([field])
  })
})
