import { fireEvent, screen } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it, vi } from 'vitest'
import { BulkAddForm } from '../../../src/pages/keys/BulkAddForm.js'
import { json, mockFetch } from '../../helpers/fetch-mock.js'
import { HOSTILE, keyView } from '../../helpers/fixtures.js'
import { renderSignedIn } from '../../helpers/render.js'

describe('BulkAddForm', () => {
  it('counts entries live, split on whitespace, commas, semicolons and newlines', () => {
    mockFetch({})
    renderSignedIn(<BulkAddForm onAdded={() => undefined} />)
    const box = screen.getByLabelText('API 密钥')
    const count = () => screen.getByTestId('entry-count').textContent
    expect(count()).toBe('识别到 0 个条目')
    fireEvent.change(box, { target: { value: 'k1\nk2 k3,k4;k5\t k6 ,, ;' } })
    expect(count()).toBe('识别到 6 个条目')
    fireEvent.change(box, { target: { value: 'k1 k1 k2' } })
    expect(count()).toBe('识别到 3 个条目（其中 1 个重复）')
  })

  it('posts the text and label and summarises added, duplicates and invalid with reasons', async () => {
    const { requests } = mockFetch({
      'POST /api/manage/api-keys': () =>
        json(
          {
            added: [keyView({ id: 5 }), keyView({ id: 6 })],
            duplicates: 1,
            invalid: [
              { input: 'abc…', code: 'too_short', reason: 'too short (at least 8 characters)' },
              { input: HOSTILE, code: 'invalid_characters', reason: HOSTILE },
            ],
          },
          201,
        ),
    })
    const onAdded = vi.fn()
    renderSignedIn(<BulkAddForm onAdded={onAdded} />)
    await userEvent.type(screen.getByLabelText('API 密钥'), 'sk-1 sk-2 sk-1 abc sk-x')
    await userEvent.type(screen.getByLabelText('备注（可选，用于所有新密钥）'), ' team A ')
    await userEvent.click(screen.getByRole('button', { name: '添加' }))

    expect(requests[0]?.body).toEqual({ api_keys: 'sk-1 sk-2 sk-1 abc sk-x', label: 'team A' })
    expect(await screen.findByText('已添加 2 个，重复 1 个，无效 2 个。')).toBeTruthy()
    const reasons = screen.getAllByRole('listitem').map((item) => item.textContent)
    // Translated by code; the server's English reason is not shown, the masked input as text.
    expect(reasons).toEqual([
      'abc…: 太短（至少 8 个字符）',
      `${HOSTILE}: 包含无效字符（只能是可打印的 ASCII 字符，不能有空格）`,
    ])
    expect(document.querySelector('img')).toBeNull()
    expect(onAdded).toHaveBeenCalledOnce()
    expect((screen.getByLabelText('API 密钥') as HTMLTextAreaElement).value).toBe('')
  })

  it('says every reason in English too, and how many rejected entries were not listed', async () => {
    mockFetch({
      'POST /api/manage/api-keys': () =>
        json(
          {
            added: [],
            duplicates: 0,
            invalid: [
              { input: 'x…y', code: 'too_long', reason: 'too long (at most 256 characters)' },
              { input: 'é', code: 'invalid_characters', reason: 'invalid characters' },
              { input: 'a', code: 'too_short', reason: 'too short (at least 8 characters)' },
              {
                input: '…',
                code: 'more_not_listed',
                reason: '1234 more invalid entries not listed',
                count: 1234,
              },
            ],
          },
          201,
        ),
    })
    renderSignedIn(<BulkAddForm onAdded={() => undefined} />, { language: 'en' })
    await userEvent.type(screen.getByLabelText('API keys'), 'whatever')
    await userEvent.click(screen.getByRole('button', { name: 'Add' }))
    await screen.findByText('Invalid entries')
    expect(screen.getAllByRole('listitem').map((item) => item.textContent)).toEqual([
      'x…y: too long (at most 256 characters)',
      'é: invalid characters (printable ASCII only, no spaces)',
      'a: too short (at least 8 characters)',
      '1,234 more invalid entries not listed',
    ])
  })

  it('counts the rejected entries that were not listed, in Chinese', async () => {
    mockFetch({
      'POST /api/manage/api-keys': () =>
        json(
          {
            added: [],
            duplicates: 0,
            invalid: [
              { input: '…', code: 'more_not_listed', reason: '5 more not listed', count: 5 },
            ],
          },
          201,
        ),
    })
    renderSignedIn(<BulkAddForm onAdded={() => undefined} />)
    await userEvent.type(screen.getByLabelText('API 密钥'), 'whatever')
    await userEvent.click(screen.getByRole('button', { name: '添加' }))
    expect((await screen.findByRole('listitem')).textContent).toBe('另有 5 个无效条目未列出')
  })

  it('shows validation errors from the server with their fields', async () => {
    mockFetch({
      'POST /api/manage/api-keys': () =>
        json(
          {
            error: {
              message: 'label: too long',
              type: 'invalid_request_error',
              code: 'validation_error',
              fields: [
                {
                  field: 'body.label',
                  reason: 'Too big: expected string to have <=100 characters',
                  rule: { kind: 'too_big', maximum: 100, origin: 'string' },
                },
                { field: 'body.api_keys', reason: 'our own words' },
              ],
            },
          },
          400,
        ),
    })
    renderSignedIn(<BulkAddForm onAdded={() => undefined} />)
    await userEvent.type(screen.getByLabelText('API 密钥'), 'sk-1')
    await userEvent.click(screen.getByRole('button', { name: '添加' }))
    // The field and the rule in Chinese; a reason in the server's own words as it is.
    const alert = await screen.findByRole('alert')
    expect(alert.textContent).toContain('备注：最多 100 个字符')
    expect(alert.textContent).toContain('密钥列表：our own words')
    expect(alert.textContent).not.toContain('Too big')
  })
})
