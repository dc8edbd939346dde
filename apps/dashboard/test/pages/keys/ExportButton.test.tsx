import { screen, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it, vi } from 'vitest'
import { text } from '../../helpers/fetch-mock.js'
import { renderKeysPage, requestsTo } from '../../helpers/keys-page.js'

describe('exporting the keys', () => {
  it('warns that the file holds the keys in plain text, then downloads it', async () => {
    const exported = 'sk-first-full-key\nsk-second-full-key\n'
    const { requests } = await renderKeysPage({
      'GET /api/manage/api-keys/export': () => text(exported),
    })
    const saved: { name: string; blob: Blob }[] = []
    let blob: Blob | undefined
    vi.spyOn(URL, 'createObjectURL').mockImplementation((object) => {
      blob = object as Blob
      return 'blob:export'
    })
    vi.spyOn(URL, 'revokeObjectURL').mockImplementation(() => undefined)
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (
      this: HTMLAnchorElement,
    ) {
      if (blob) saved.push({ name: this.download, blob })
    })

    await userEvent.click(screen.getByRole('button', { name: '导出' }))
    const confirm = screen.getByRole('dialog', { name: '导出' })
    expect(confirm.textContent).toContain('导出文件包含完整的明文密钥，请妥善保管。')
    expect(requestsTo(requests, 'GET', '/api-keys/export')).toHaveLength(0)

    await userEvent.click(within(confirm).getByRole('button', { name: '导出' }))
    expect(await screen.findByText('已导出 2 个密钥')).toBeTruthy()
    expect(requestsTo(requests, 'GET', '/api-keys/export')).toHaveLength(1)
    expect(saved.map((file) => file.name)).toEqual([
      expect.stringMatching(/^siliconflow-keys-\d{8}-\d{4}\.txt$/),
    ])
    expect(await saved[0]?.blob.text()).toBe(exported)
  })
})
