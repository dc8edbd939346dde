import { render, screen } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it } from 'vitest'
import { StatusBadge } from '../../src/components/StatusBadge.js'
import { I18nProvider, useI18n } from '../../src/i18n/I18nProvider.js'
import { LanguageSwitch } from '../../src/i18n/LanguageSwitch.js'

function Sample() {
  const { t } = useI18n()
  return (
    <>
      <h1>{t('nav.keys')}</h1>
      <StatusBadge status="cooling" />
      <LanguageSwitch />
    </>
  )
}

describe('LanguageSwitch', () => {
  it('starts in Chinese, switches to English and back, and remembers the choice', async () => {
    render(
      <I18nProvider>
        <Sample />
      </I18nProvider>,
    )
    expect(screen.getByRole('heading').textContent).toBe('密钥')
    expect(screen.getByText('限流冷却')).toBeTruthy()
    expect(document.documentElement.lang).toBe('zh-CN')

    await userEvent.click(screen.getByRole('button', { name: 'Switch to English' }))
    expect(screen.getByRole('heading').textContent).toBe('Keys')
    expect(screen.getByText('Rate-limited')).toBeTruthy()
    expect(document.documentElement.lang).toBe('en')
    expect(localStorage.getItem('sfp.language')).toBe('en')

    await userEvent.click(screen.getByRole('button', { name: '切换到中文' }))
    expect(screen.getByRole('heading').textContent).toBe('密钥')
    expect(localStorage.getItem('sfp.language')).toBe('zh')
  })

  it('opens in the remembered language', () => {
    localStorage.setItem('sfp.language', 'en')
    render(
      <I18nProvider>
        <Sample />
      </I18nProvider>,
    )
    expect(screen.getByRole('heading').textContent).toBe('Keys')
  })
})
