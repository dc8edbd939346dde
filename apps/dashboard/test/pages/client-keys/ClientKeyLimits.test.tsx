import { fireEvent, screen, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it } from 'vitest'
import { ClientKeysPage } from '../../../src/pages/client-keys/ClientKeysPage.js'
import { json, mockFetch, type RecordedRequest } from '../../helpers/fetch-mock.js'
import { renderSignedIn } from '../../helpers/render.js'

const LIST = '/api/manage/client-keys'
const NOW = '2025-05-14T12:00:00.000Z'

const PLAIN = {
  id: 1,
  name: 'laptop',
  prefix: 'sk-sfp-ab12…cd34',
  createdAt: '2025-05-01T00:00:00.000Z',
  lastUsedAt: null,
  requestCount: 42,
}

const LIMITED = {
  ...PLAIN,
  id: 2,
  name: 'team-a',
  models: ['Qwen/Qwen2.5-7B-Instruct', 'deepseek-ai/*', 'Pro/*'],
  expiresAt: '2099-01-01T00:00:00.000Z',
  rpm: 60,
  dailyRequests: 1000,
  dailyTokens: null,
  monthlySpendCny: null,
  allowedIps: ['10.0.0.0/8'],
  note: 'for the data team',
  usage: { requestsToday: 12, tokensToday: 3400, spendThisMonthCny: 1.2 },
}

const EXPIRED = { ...PLAIN, id: 3, name: 'old-ci', expiresAt: '2020-01-01T00:00:00.000Z' }

const validationError = (fields: unknown[]) =>
  json(
    {
      error: {
        message: 'Invalid body',
        type: 'invalid_request_error',
        code: 'validation_error',
        fields,
      },
    },
    400,
  )

const sent = (requests: RecordedRequest[], method: string) =>
  requests.filter((request) => request.method === method).map((request) => request.body)

function row(name: string): HTMLElement {
  const cell = screen.getByText(name)
  const tr = cell.closest('tr')
  if (!tr) throw new Error(`no row for ${name}`)
  return tr
}

describe('ClientKeysPage limits', () => {
  it('sends the limits filled in with a new key, and leaves the empty ones out', async () => {
    const { requests } = mockFetch({
      [`GET ${LIST}`]: () => json({ keys: [], envKeyCount: 0 }),
      [`POST ${LIST}`]: () =>
        json({ key: { ...PLAIN, id: 9, name: 'ci' }, plaintext: 'sk-sfp-ONCE' }, 201),
    })
    renderSignedIn(<ClientKeysPage />)
    await screen.findByText('还没有在面板中创建的客户端密钥。')
    // Collapsed until opened.
    const section = screen.getByText('限制').closest('details')
    expect(section?.open).toBe(false)
    await userEvent.click(screen.getByText('限制'))

    await userEvent.type(screen.getByLabelText('名称'), 'ci')
    await userEvent.type(
      screen.getByLabelText('允许的模型'),
      'deepseek-ai/*\nQwen/Qwen2.5-7B-Instruct\ndeepseek-ai/*\n',
    )
    fireEvent.change(screen.getByLabelText('到期时间'), { target: { value: '2027-01-31T18:00' } })
    await userEvent.type(screen.getByLabelText('每分钟请求数'), '60')
    await userEvent.type(screen.getByLabelText('每日请求数'), '1000')
    await userEvent.type(screen.getByLabelText('每月花费上限（元）'), '50.5')
    await userEvent.type(screen.getByLabelText('允许的客户端 IP'), '10.1.2.3/8\n2001:db8::1')
    await userEvent.type(screen.getByLabelText('说明'), ' CI runners ')
    await userEvent.click(screen.getByRole('button', { name: '创建' }))

    expect(await screen.findByLabelText('新的客户端密钥')).toBeTruthy()
    expect(sent(requests, 'POST')).toEqual([
      {
        name: 'ci',
        // Normalised as the server stores them: sorted, no repeats, canonical addresses.
        models: ['Qwen/Qwen2.5-7B-Instruct', 'deepseek-ai/*'],
        // Read in the reader's zone, sent as ISO.
        expiresAt: new Date('2027-01-31T18:00').toISOString(),
        rpm: 60,
        dailyRequests: 1000,
        monthlySpendCny: 50.5,
        allowedIps: ['10.0.0.0/8', '2001:db8::1'],
        note: 'CI runners',
      },
    ])
  })

  it('checks the limits first and sends nothing while one is wrong', async () => {
    const { requests } = mockFetch({
      [`GET ${LIST}`]: () => json({ keys: [], envKeyCount: 0 }),
    })
    renderSignedIn(<ClientKeysPage />)
    await screen.findByText('还没有在面板中创建的客户端密钥。')
    await userEvent.click(screen.getByText('限制'))
    await userEvent.type(screen.getByLabelText('名称'), 'ci')
    await userEvent.type(screen.getByLabelText('允许的模型'), 'Qwen/Qwen2.5\nbad model')
    await userEvent.type(screen.getByLabelText('每分钟请求数'), '1.5')
    await userEvent.type(screen.getByLabelText('允许的客户端 IP'), '10.0.0.300')
    await userEvent.click(screen.getByRole('button', { name: '创建' }))

    expect(
      await screen.findByText('第 2 行：应为模型名或 Org/*（不含空格，* 只能在末尾）'),
    ).toBeTruthy()
    expect(screen.getByText('应为整数')).toBeTruthy()
    expect(screen.getByText('第 1 行：应为 IPv4 或 IPv6 地址或 CIDR')).toBeTruthy()
    expect(screen.getByLabelText('允许的模型').getAttribute('aria-invalid')).toBe('true')
    expect(sent(requests, 'POST')).toEqual([])
  })

  it('shows the server’s 400 by field, in Chinese', async () => {
    mockFetch({
      [`GET ${LIST}`]: () => json({ keys: [], envKeyCount: 0 }),
      // Answered, so that the page's only alert is the form's.
      'GET /api/manage/stats': () => json({ from: NOW, to: NOW, bucketSeconds: 3600, buckets: [] }),
      [`POST ${LIST}`]: () =>
        validationError([
          {
            field: 'body.rpm',
            reason: 'must be at most 1000000',
            rule: { kind: 'too_big', maximum: 1_000_000, origin: 'number' },
          },
        ]),
    })
    renderSignedIn(<ClientKeysPage />)
    await screen.findByText('还没有在面板中创建的客户端密钥。')
    await userEvent.type(screen.getByLabelText('名称'), 'ci')
    await userEvent.click(screen.getByRole('button', { name: '创建' }))
    const alert = await screen.findByRole('alert')
    expect(alert.textContent).toContain('每分钟请求数：不能大于 1000000')
    expect(alert.textContent).not.toContain('must be')
  })

  it('shows each key’s limits, today’s usage, this month’s spend and expiry', async () => {
    mockFetch({
      [`GET ${LIST}`]: () => json({ keys: [PLAIN, LIMITED, EXPIRED], envKeyCount: 0 }),
    })
    renderSignedIn(<ClientKeysPage />)
    await screen.findByText('team-a')

    const limited = row('team-a')
    expect(limited.textContent).toContain('模型 3 个 · 60/分钟 · 每日 1,000 次 · IP 1 条')
    expect(limited.textContent).toContain('今日 12 次 · 3,400 tokens')
    expect(limited.textContent).toContain('本月 ¥1.20')
    expect(limited.textContent).toContain('for the data team')
    expect(within(limited).queryByText('已过期')).toBeNull()

    // An older server sends neither: no limits, nothing used.
    const plain = row('laptop')
    expect(plain.textContent).toContain('不限制')
    expect(plain.textContent).toContain('今日 0 次 · 0 tokens')

    expect(within(row('old-ci')).getByText('已过期')).toBeTruthy()
  })

  it('words the limits and usage in English too', async () => {
    mockFetch({
      [`GET ${LIST}`]: () => json({ keys: [LIMITED, EXPIRED], envKeyCount: 0 }),
    })
    renderSignedIn(<ClientKeysPage />, { language: 'en' })
    await screen.findByText('team-a')
    const limited = row('team-a')
    expect(limited.textContent).toContain('models: 3 · 60/min · 1,000 requests/day · IPs: 1')
    expect(limited.textContent).toContain('Today 12 requests · 3,400 tokens')
    expect(within(row('old-ci')).getByText('Expired')).toBeTruthy()
    expect(screen.getByRole('button', { name: 'Edit client key “team-a”' })).toBeTruthy()
  })

  it('edits a key: only the changed fields, a cleared one as null', async () => {
    const { requests } = mockFetch({
      [`GET ${LIST}`]: () => json({ keys: [LIMITED], envKeyCount: 0 }),
      [`PATCH ${LIST}/2`]: () => json({ ...LIMITED, name: 'team-b', rpm: null, dailyTokens: 5000 }),
    })
    renderSignedIn(<ClientKeysPage />)
    await userEvent.click(await screen.findByRole('button', { name: '编辑客户端密钥“team-a”' }))
    const dialog = screen.getByRole('dialog', { name: '编辑“team-a”' })
    const field = (label: string) => within(dialog).getByLabelText(label)
    expect((field('每分钟请求数') as HTMLInputElement).value).toBe('60')
    expect((field('允许的模型') as HTMLTextAreaElement).value).toBe(
      'Qwen/Qwen2.5-7B-Instruct\ndeepseek-ai/*\nPro/*',
    )
    const save = within(dialog).getByRole('button', { name: '保存' }) as HTMLButtonElement
    expect(save.disabled).toBe(true)

    await userEvent.clear(field('名称'))
    await userEvent.type(field('名称'), 'team-b')
    await userEvent.clear(field('每分钟请求数'))
    await userEvent.type(field('每日 token 数'), '5000')
    await userEvent.click(save)

    expect(await screen.findByText('已保存“team-b”')).toBeTruthy()
    expect(sent(requests, 'PATCH')).toEqual([{ name: 'team-b', rpm: null, dailyTokens: 5000 }])
    expect(screen.queryByRole('dialog')).toBeNull()
    // The plaintext is never shown again.
    expect(screen.queryByLabelText('新的客户端密钥')).toBeNull()
  })

  it('keeps the edit dialog open with the server’s 400 in Chinese', async () => {
    const { requests } = mockFetch({
      [`GET ${LIST}`]: () => json({ keys: [LIMITED], envKeyCount: 0 }),
      [`PATCH ${LIST}/2`]: () =>
        validationError([
          {
            field: 'body.expiresAt',
            reason: 'must be an ISO 8601 time',
            rule: { kind: 'invalid_format', format: 'datetime' },
          },
        ]),
    })
    renderSignedIn(<ClientKeysPage />)
    await userEvent.click(await screen.findByRole('button', { name: '编辑客户端密钥“team-a”' }))
    const dialog = screen.getByRole('dialog', { name: '编辑“team-a”' })
    await userEvent.clear(within(dialog).getByLabelText('到期时间'))
    await userEvent.click(within(dialog).getByRole('button', { name: '保存' }))
    expect(sent(requests, 'PATCH')).toEqual([{ expiresAt: null }])
    const alert = await within(dialog).findByRole('alert')
    expect(alert.textContent).toContain('到期时间：格式不对（datetime）')
  })
})
