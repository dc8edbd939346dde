import { render } from '@testing-library/react'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { I18nProvider } from '../../../src/i18n/I18nProvider.js'
import { KeysTable } from '../../../src/pages/keys/KeysTable.js'
import type { KeySelection } from '../../../src/pages/keys/useKeySelection.js'
import { keyView } from '../../helpers/fixtures.js'

const selection: KeySelection = {
  ids: [],
  has: () => false,
  toggle: () => undefined,
  toggleAll: () => undefined,
  clear: () => undefined,
}

describe('KeysTable with 10,000 keys', () => {
  beforeEach(() => {
    vi.spyOn(HTMLElement.prototype, 'clientHeight', 'get').mockReturnValue(600)
    vi.spyOn(HTMLElement.prototype, 'clientWidth', 'get').mockReturnValue(1200)
  })

  it('renders only the rows in view, with spacers standing in for the rest', () => {
    const keys = Array.from({ length: 10_000 }, (_, index) => keyView({ id: index + 1 }))
    render(
      <I18nProvider initialLanguage="zh">
        <KeysTable keys={keys} selection={selection} onManage={() => undefined} />
      </I18nProvider>,
    )
    const rows = document.querySelectorAll('tbody tr.key-row')
    expect(rows.length).toBeGreaterThan(5)
    expect(rows.length).toBeLessThan(40)
    expect(document.querySelector('table')?.getAttribute('aria-rowcount')).toBe('10001')
    const spacer = document.querySelector<HTMLTableCellElement>('tbody tr.spacer-row td')
    expect(Number.parseInt(spacer?.style.height ?? '0', 10)).toBeGreaterThan(500_000)
  })
})
