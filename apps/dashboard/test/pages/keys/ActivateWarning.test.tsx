import type { SwitchGuardStatus } from '@sfp/schemas'
import { screen } from '@testing-library/react'
import { describe, expect, it } from 'vitest'
import type { Language } from '../../../src/i18n/language.js'
import { ActivateWarning } from '../../../src/pages/keys/ActivateWarning.js'
import { json, mockFetch } from '../../helpers/fetch-mock.js'
import { keyView, statusView } from '../../helpers/fixtures.js'
import { renderSignedIn } from '../../helpers/render.js'

/** Renders the warning; the status with this guard arrives after the first render. */
function renderWarning(guard: Partial<SwitchGuardStatus>, language: Language = 'zh') {
  const status = statusView({ switchGuard: { ...statusView().switchGuard, ...guard } })
  mockFetch({
    'GET /api/manage/status': () => json(status),
    'GET /api/manage/api-keys': () => json({ keys: [keyView()], total: 1 }),
  })
  return renderSignedIn(<ActivateWarning />, { live: true, language }).container
}

describe('ActivateWarning', () => {
  it('says the switch is allowed and recorded under the immediate policy', async () => {
    const container = renderWarning({ policy: 'immediate', minutes: 30 })
    await screen.findByText(/切换策略为“立即”/)
    expect(container.textContent).toContain(
      '切换策略为“立即”（KEY_SWITCH_POLICY=immediate）：允许立即切换，这次切换会被记录。',
    )
    expect(container.textContent).not.toContain('跳过')
    expect(container.textContent).toContain('硅基流动可能会封禁这些密钥和本服务器的 IP')
  })

  it('says the guard is off when its minutes are 0, without a countdown', async () => {
    const container = renderWarning({ policy: 'wait', minutes: 0 }, 'en')
    await screen.findByText(/The switch guard is off/)
    expect(container.textContent).toContain(
      'The switch guard is off (KEY_SWITCH_GUARD_MINUTES=0): this key is used at once and the switch is recorded.',
    )
    expect(screen.queryByText(/Time left in the guard window/)).toBeNull()
  })

  it('under wait, names the configured minutes and says when the window is over', async () => {
    const container = renderWarning({
      policy: 'wait',
      minutes: 5,
      nextSwitchAllowedAt: new Date(Date.now() - 1000).toISOString(),
    })
    await screen.findByText(/这会跳过 5 分钟切换保护/)
    expect(container.textContent).toContain('切换保护剩余时间： 现在可以切换')
  })
})
