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
})
