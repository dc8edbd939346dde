import { fireEvent, screen } from '@testing-library/react'
import { afterEach, describe, expect, it } from 'vitest'
import { ThemeSwitch } from '../../src/theme/ThemeSwitch.js'
import { renderWithI18n } from '../helpers/render.js'

describe('ThemeSwitch', () => {
  afterEach(() => {
    delete document.documentElement.dataset.theme
  })

  it('follows the system by default and remembers a pinned theme', () => {
    renderWithI18n(<ThemeSwitch />)
    const select = screen.getByLabelText('主题') as HTMLSelectElement
    expect(select.value).toBe('system')
    expect(document.documentElement.dataset.theme).toBeUndefined()

    fireEvent.change(select, { target: { value: 'dark' } })
    expect(document.documentElement.dataset.theme).toBe('dark')
    expect(localStorage.getItem('sfp.theme')).toBe('dark')

    fireEvent.change(select, { target: { value: 'system' } })
    expect(document.documentElement.dataset.theme).toBeUndefined()
    expect(localStorage.getItem('sfp.theme')).toBeNull()
  })
})
