import { fireEvent, screen } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { useState } from 'react'
import { describe, expect, it, vi } from 'vitest'
import { ConfirmDialog } from '../../src/components/ConfirmDialog.js'
import { Dialog } from '../../src/components/Dialog.js'
import { renderWithI18n } from '../helpers/render.js'

function Opener() {
  const [open, setOpen] = useState(false)
  return (
    <>
      <button type="button" onClick={() => setOpen(true)}>
        open
      </button>
      {open && (
        <Dialog title="Title" onClose={() => setOpen(false)}>
          <input aria-label="first" />
          <button type="button">last</button>
        </Dialog>
      )}
    </>
  )
}

describe('Dialog', () => {
  it('moves focus in, keeps Tab inside, closes on Escape and gives focus back', async () => {
    renderWithI18n(<Opener />)
    const opener = screen.getByRole('button', { name: 'open' })
    await userEvent.click(opener)
    const dialog = screen.getByRole('dialog', { name: 'Title' })
    expect(document.activeElement).toBe(screen.getByLabelText('first'))

    const last = screen.getByRole('button', { name: 'last' })
    last.focus()
    fireEvent.keyDown(last, { key: 'Tab' })
    expect(document.activeElement).toBe(screen.getByRole('button', { name: '关闭' }))
    fireEvent.keyDown(document.activeElement ?? dialog, { key: 'Tab', shiftKey: true })
    expect(document.activeElement).toBe(last)

    fireEvent.keyDown(last, { key: 'Escape' })
    expect(screen.queryByRole('dialog')).toBeNull()
    expect(document.activeElement).toBe(opener)
  })
})

/** A row of actions where the first one opens a dialog, as the key actions do. */
function ActionRow({ afterClose }: { afterClose: 'disable' | 'remove' }) {
  const [open, setOpen] = useState(false)
  const [done, setDone] = useState(false)
  return (
    <main tabIndex={-1}>
      {!(done && afterClose === 'remove') && (
        <button type="button" disabled={done} onClick={() => setOpen(true)}>
          make current
        </button>
      )}
      <button type="button">check</button>
      {open && (
        <Dialog
          title="Sure?"
          onClose={() => {
            setDone(true)
            setOpen(false)
          }}
        >
          <button type="button">inside</button>
        </Dialog>
      )}
    </main>
  )
}

describe('Dialog focus after closing', () => {
  it('goes to the next control when the action disabled the opener', async () => {
    renderWithI18n(<ActionRow afterClose="disable" />)
    await userEvent.click(screen.getByRole('button', { name: 'make current' }))
    fireEvent.keyDown(screen.getByRole('button', { name: 'inside' }), { key: 'Escape' })
    expect(screen.queryByRole('dialog')).toBeNull()
    expect(document.activeElement).toBe(screen.getByRole('button', { name: 'check' }))
  })

  it('goes to the main region when the opener is gone', async () => {
    renderWithI18n(<ActionRow afterClose="remove" />)
    await userEvent.click(screen.getByRole('button', { name: 'make current' }))
    fireEvent.keyDown(screen.getByRole('button', { name: 'inside' }), { key: 'Escape' })
    expect(screen.queryByRole('button', { name: 'make current' })).toBeNull()
    expect(document.activeElement).toBe(screen.getByRole('main'))
  })
})

describe('ConfirmDialog', () => {
  it('focuses Cancel first, runs the action on confirm and shows its failure', async () => {
    const onClose = vi.fn()
    const onConfirm = vi
      .fn()
      .mockRejectedValueOnce(new Error('boom'))
      .mockResolvedValueOnce(undefined)
    renderWithI18n(
      <ConfirmDialog title="Sure?" confirmLabel="Do it" onConfirm={onConfirm} onClose={onClose}>
        consequences
      </ConfirmDialog>,
    )
    expect(document.activeElement).toBe(screen.getByRole('button', { name: '取消' }))
    await userEvent.click(screen.getByRole('button', { name: 'Do it' }))
    expect((await screen.findByRole('alert')).textContent).toBe('boom')
    expect(onClose).not.toHaveBeenCalled()
    await userEvent.click(screen.getByRole('button', { name: 'Do it' }))
    expect(onClose).toHaveBeenCalledOnce()
  })
})
