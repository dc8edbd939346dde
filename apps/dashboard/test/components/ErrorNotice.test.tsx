import { screen } from '@testing-library/react'
import { afterEach, describe, expect, it } from 'vitest'
import { ApiError, apiErrorFromResponse } from '../../src/api/api-error.js'
import { ErrorNotice } from '../../src/components/ErrorNotice.js'
import { renderWithI18n } from '../helpers/render.js'

const guardRefusal = () =>
  new ApiError(503, 'key_switch_guard', 'The key-switch guard holds back key #2 …', [], 1200)

describe('ErrorNotice', () => {
  it('explains a switch-guard refusal in the page language, with when to retry', () => {
    renderWithI18n(<ErrorNotice error={guardRefusal()} />)
    const alert = screen.getByRole('alert')
    expect(alert.textContent).toContain('切换保护拒绝了这次操作')
    expect(alert.textContent).toContain('请在 1200 秒后重试')
    expect(alert.textContent).not.toContain('服务器出错')
  })

  it('does so in English too', () => {
    renderWithI18n(<ErrorNotice error={guardRefusal()} />, 'en')
    expect(screen.getByRole('alert').textContent).toContain('The key-switch guard refused this')
  })

  it('shows other server errors with their status and message', () => {
    renderWithI18n(<ErrorNotice error={new ApiError(502, 'upstream_unreachable', 'gone')} />)
    expect(screen.getByRole('alert').textContent).toContain('服务器出错（502）： gone')
  })

  it('explains the egress error codes in the page language', () => {
    const cases = [
      [new ApiError(503, 'no_available_egress', 'No egress', [], 30), '没有可用的出口'],
      [new ApiError(503, 'egress_blocked', 'Blocked', [], 60), '硅基流动封禁了出口的 IP'],
      [new ApiError(408, 'request_timeout', 'Timeout'), '请求超时'],
      [new ApiError(409, 'egress_exists', 'Exists'), '已有相同的出口'],
      [new ApiError(409, 'egress_builtin', 'Built-in'), '内置的直连出口不能删除'],
    ] as const
    for (const [error, text] of cases) {
      const { unmount } = renderWithI18n(<ErrorNotice error={error} />)
      const alert = screen.getByRole('alert')
      expect(alert.textContent).toContain(text)
      expect(alert.textContent).not.toContain(error.message)
      unmount()
    }
    renderWithI18n(<ErrorNotice error={new ApiError(409, 'egress_exists', 'Exists')} />, 'en')
    expect(screen.getByRole('alert').textContent).toContain('That egress exists already')
  })

  it('explains an instance that cannot reach its database, in Chinese and English', () => {
    const error = () => new ApiError(503, 'database_unavailable', 'Database unavailable', [], 15)
    const { unmount } = renderWithI18n(<ErrorNotice error={error()} />)
    const zh = screen.getByRole('alert').textContent ?? ''
    expect(zh).toContain('这个实例连不上 PostgreSQL 数据库，它的出口租约已失效')
    expect(zh).toContain('请在 15 秒后重试')
    expect(zh).not.toContain('Database unavailable')
    unmount()
    renderWithI18n(<ErrorNotice error={error()} />, 'en')
    expect(screen.getByRole('alert').textContent).toContain(
      'This instance cannot reach PostgreSQL and its lane leases lapsed',
    )
  })

  it('does not take an inherited property name for a known code', () => {
    renderWithI18n(<ErrorNotice error={new ApiError(400, 'constructor', 'plain message')} />)
    expect(screen.getByRole('alert').textContent).toBe('plain message')
  })
})

/** A guard refusal as the server answers `POST /api-keys/2/check` inside the window. */
const GUARD_ANSWER = {
  error: {
    message:
      'The key-switch guard of egress #1 holds back a balance check of key #2 while key #1 is the one last used … The window ends at 2026-01-01T12:30:00.000Z (in 1200 s).',
    type: 'server_error',
    code: 'key_switch_guard',
    explanation: {
      code: 'guard_holds',
      params: {
        egressId: 1,
        minutes: 30,
        windowEndsAt: '2026-01-01T12:30:00.000Z',
        subject: { kind: 'check', keyId: 2, lastKeyId: 1 },
        hint: 'override_first',
      },
    },
  },
}

const refusedAnswer = () =>
  apiErrorFromResponse(
    new Response(JSON.stringify(GUARD_ANSWER), {
      status: 503,
      headers: { 'content-type': 'application/json', 'retry-after': '1200' },
    }),
  )

describe('ErrorNotice with the server’s explanation', () => {
  const zone = process.env.TZ
  afterEach(() => {
    process.env.TZ = zone
  })

  it('words a guard refusal in Chinese, the window end in the reader’s zone, never the English message', async () => {
    process.env.TZ = 'Asia/Shanghai'
    const error = await refusedAnswer()
    expect(error.explanation?.code).toBe('guard_holds')
    renderWithI18n(<ErrorNotice error={error} />)
    const text = screen.getByRole('alert').textContent ?? ''
    expect(text).toContain(
      '出口 #1 的切换保护暂不允许对密钥 #2 的余额检查（上次使用的是密钥 #1）：同一 IP 在 30 分钟内使用两个不同密钥有被硅基流动封禁的风险。保护窗口于 01/01 20:30:00 结束。',
    )
    expect(text).toContain('请在 1200 秒后重试')
    expect(text).not.toContain('2026-01-01T12:30:00.000Z')
    expect(text).not.toContain('holds back')
  })

  it('shows the same time as another reader’s zone sees it', async () => {
    process.env.TZ = 'America/New_York'
    renderWithI18n(<ErrorNotice error={await refusedAnswer()} />)
    expect(screen.getByRole('alert').textContent).toContain('保护窗口于 01/01 07:30:00 结束')
  })

  it('words it in English for an English reader', async () => {
    process.env.TZ = 'UTC'
    renderWithI18n(<ErrorNotice error={await refusedAnswer()} />, 'en')
    const text = screen.getByRole('alert').textContent ?? ''
    expect(text).toContain(
      'The key-switch guard of egress #1 holds back a balance check of key #2 while key #1 was used last',
    )
    expect(text).toContain('The window ends at 01/01, 12:30:00.')
    expect(text).not.toContain('2026-01-01T12:30:00.000Z')
  })

  it('words a refusal for want of a lane this instance drives from its params', () => {
    const error = new ApiError(503, 'database_unavailable', 'instance sfp-a cannot …', [], 15, {
      code: 'no_lane_held',
      params: { instanceId: 'sfp-a', reason: 'database' },
    })
    const { unmount } = renderWithI18n(<ErrorNotice error={error} />)
    expect(screen.getByRole('alert').textContent).toContain(
      '实例 sfp-a 连不上数据库（PostgreSQL），它持有的出口租约已失效',
    )
    unmount()
    renderWithI18n(<ErrorNotice error={error} />, 'en')
    expect(screen.getByRole('alert').textContent).toContain(
      'Instance sfp-a cannot reach its database (PostgreSQL): its egress leases lapsed',
    )
  })

  it('words a full queue from its params', () => {
    const error = new ApiError(503, 'queue_full', 'The upstream queue is full …', [], 12, {
      code: 'queue_full',
      params: { waiting: 100, retryAfterSeconds: 12 },
    })
    renderWithI18n(<ErrorNotice error={error} />)
    const text = screen.getByRole('alert').textContent ?? ''
    expect(text).toContain('上游排队已满（100 个请求在等待），请 12 秒后再试')
    expect(text).not.toContain(error.message)
  })
})
