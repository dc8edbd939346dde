import { act, screen } from '@testing-library/react'
import { describe, expect, it, vi } from 'vitest'
import { GuardCountdown } from '../../src/components/GuardCountdown.js'
import { renderWithI18n } from '../helpers/render.js'

const START = Date.UTC(2025, 4, 14, 12, 0, 0)

describe('GuardCountdown', () => {
  it('ticks down every second and then says a switch is allowed', () => {
    vi.useFakeTimers({ now: START })
    const until = new Date(START + 65_000).toISOString()
    renderWithI18n(<GuardCountdown until={until} />)
    expect(screen.getByRole('timer').textContent).toBe('01:05')
    act(() => vi.advanceTimersByTime(5000))
    expect(screen.getByRole('timer').textContent).toBe('01:00')
    act(() => vi.advanceTimersByTime(59_000))
    expect(screen.getByRole('timer').textContent).toBe('00:01')
    act(() => vi.advanceTimersByTime(1000))
    expect(screen.queryByRole('timer')).toBeNull()
    expect(screen.getByText('现在可以切换')).toBeTruthy()
  })

  it('counts hours past the hour, and corrects for the server clock', () => {
    vi.useFakeTimers({ now: START })
    const until = new Date(START + 2 * 3_600_000).toISOString()
    // The server's clock is 30 min ahead: 1.5 h are left by its clock.
    renderWithI18n(<GuardCountdown until={until} clockOffsetMs={30 * 60_000} />)
    expect(screen.getByRole('timer').textContent).toBe('1:30:00')
  })

  it('shows that a switch is allowed when there is no window', () => {
    renderWithI18n(<GuardCountdown until={null} />, 'en')
    expect(screen.getByText('A switch is allowed now')).toBeTruthy()
  })
})
