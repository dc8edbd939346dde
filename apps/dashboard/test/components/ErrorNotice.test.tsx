import { screen } from '@testing-library/react'
import { describe, expect, it } from 'vitest'
import { ApiError } from '../../src/api/api-error.js'
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

  it('does not take an inherited property name for a known code', () => {
    renderWithI18n(<ErrorNotice error={new ApiError(400, 'constructor', 'plain message')} />)
    expect(screen.getByRole('alert').textContent).toBe('plain message')
  })
})
