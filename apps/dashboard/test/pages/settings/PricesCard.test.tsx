import { screen, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { PricesCard } from '../../../src/pages/settings/PricesCard.js'
import { json, mockFetch, type RecordedRequest } from '../../helpers/fetch-mock.js'
import { renderSignedIn } from '../../helpers/render.js'

const URL_PATH = '/api/manage/prices'
const UPDATED_AT = '2026-12-01T08:30:00.000Z'
const TABLE = {
  prices: [
    { model: 'deepseek-ai/DeepSeek-V3', inputPerMillion: 2, outputPerMillion: 8 },
    { model: 'Qwen/Qwen3-8B', inputPerMillion: 0, outputPerMillion: 0 },
  ],
  updatedAt: UPDATED_AT,
}

/** Answers PUT with what was sent, as the server stores it. */
function serverWith(table: object, put?: (body: unknown) => Response) {
  return mockFetch({
    [`GET ${URL_PATH}`]: () => json(table),
    [`PUT ${URL_PATH}`]: (request) =>
      put?.(request.body) ??
      json({ ...(request.body as object), updatedAt: '2026-12-06T10:00:00.000Z' }),
  })
}

async function openCard() {
  const card = await screen.findByRole('region', { name: '模型价格' })
  await within(card).findByLabelText('第 1 行 模型')
  return card
}

function cell(card: HTMLElement, label: string): HTMLInputElement {
  return within(card).getByLabelText(label) as HTMLInputElement
}

function puts(requests: readonly RecordedRequest[]) {
  return requests.filter((request) => request.method === 'PUT')
}

/** Catches what `downloadFile` saves: the object URL's Blob and the link's file name. */
function captureDownloads() {
  const blobs: Blob[] = []
  const names: string[] = []
  vi.spyOn(URL, 'createObjectURL').mockImplementation((blob) => {
    blobs.push(blob as Blob)
    return 'blob:prices'
  })
  vi.spyOn(URL, 'revokeObjectURL').mockImplementation(() => undefined)
  vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (
    this: HTMLAnchorElement,
  ) {
    names.push(this.download)
  })
  return { blobs, names }
}

afterEach(() => {
  vi.restoreAllMocks()
})

describe('PricesCard', () => {
  it('explains the table and shows its rows and last update', async () => {
    serverWith(TABLE)
    renderSignedIn(<PricesCard />)
    const card = await openCard()
    expect(within(card).getByText(/人民币（元）\/ 百万 token/)).toBeTruthy()
    expect(within(card).getByText(/花费记为“未知”，不会按 0 计算；免费模型请填 0/)).toBeTruthy()
    expect(cell(card, '第 1 行 模型').value).toBe('deepseek-ai/DeepSeek-V3')
    expect(cell(card, '第 1 行 输入价格').value).toBe('2')
    expect(cell(card, '第 1 行 输出价格').value).toBe('8')
    expect(cell(card, '第 2 行 模型').value).toBe('Qwen/Qwen3-8B')
    expect(
      within(card)
        .getByText(/^最后更新：/)
        .getAttribute('datetime'),
    ).toBe(UPDATED_AT)
    // Nothing changed yet: nothing to save.
    expect((within(card).getByRole('button', { name: '保存' }) as HTMLButtonElement).disabled).toBe(
      true,
    )
  })

  it('says when no table was ever set, in English too', async () => {
    serverWith({ prices: [], updatedAt: null })
    renderSignedIn(<PricesCard />, { language: 'en' })
    const card = await screen.findByRole('region', { name: 'Model prices' })
    expect(await within(card).findByText('No price table has been set yet.')).toBeTruthy()
    expect(within(card).getByText(/never 0; for a free model, enter 0/)).toBeTruthy()
  })

  it('saves the edited table whole: a changed price, a removed row, an added one', async () => {
    const { requests } = serverWith(TABLE)
    renderSignedIn(<PricesCard />)
    const card = await openCard()
    await userEvent.clear(cell(card, '第 1 行 输出价格'))
    await userEvent.type(cell(card, '第 1 行 输出价格'), '12.5')
    await userEvent.click(within(card).getByRole('button', { name: '删除第 2 行' }))
    await userEvent.click(within(card).getByRole('button', { name: '添加一行' }))
    await userEvent.type(cell(card, '第 2 行 模型'), ' BAAI/bge-m3 ')
    await userEvent.type(cell(card, '第 2 行 输入价格'), '0.5')
    await userEvent.type(cell(card, '第 2 行 输出价格'), '0')
    expect(within(card).getByText('有未保存的修改，点击“保存”后生效。')).toBeTruthy()
    await userEvent.click(within(card).getByRole('button', { name: '保存' }))

    expect(await screen.findByText('价格表已保存（2 个模型）')).toBeTruthy()
    expect(puts(requests).map((request) => request.body)).toEqual([
      {
        prices: [
          { model: 'deepseek-ai/DeepSeek-V3', inputPerMillion: 2, outputPerMillion: 12.5 },
          { model: 'BAAI/bge-m3', inputPerMillion: 0.5, outputPerMillion: 0 },
        ],
      },
    ])
    expect(within(card).queryByText('有未保存的修改，点击“保存”后生效。')).toBeNull()
    expect(
      within(card)
        .getByText(/^最后更新：/)
        .getAttribute('datetime'),
    ).toBe('2026-12-06T10:00:00.000Z')
  })

  it('shows a refusal of the server on its row and cell, in Chinese', async () => {
    serverWith(TABLE, () =>
      json(
        {
          error: {
            message: 'body.prices.1.inputPerMillion: Too big',
            type: 'invalid_request_error',
            code: 'validation_error',
            fields: [
              {
                field: 'body.prices.1.inputPerMillion',
                reason: 'Too big: expected number to be <=100000',
                rule: { kind: 'too_big', maximum: 100000, origin: 'number' },
              },
            ],
          },
        },
        400,
      ),
    )
    renderSignedIn(<PricesCard />)
    const card = await openCard()
    await userEvent.clear(cell(card, '第 2 行 输入价格'))
    await userEvent.type(cell(card, '第 2 行 输入价格'), '1')
    await userEvent.click(within(card).getByRole('button', { name: '保存' }))

    const refused = cell(card, '第 2 行 输入价格')
    await vi.waitFor(() => expect(refused.getAttribute('aria-invalid')).toBe('true'))
    const row = refused.closest('tr') as HTMLElement
    expect(within(row).getByText('不能大于 100000')).toBeTruthy()
    expect(cell(card, '第 1 行 输入价格').getAttribute('aria-invalid')).toBe('false')
    expect(within(card).getByText('有 1 处需要修改，见表中标出的单元格。')).toBeTruthy()
  })

  it('checks the table in the page first: a bad number or a model twice is never sent', async () => {
    const { requests } = serverWith(TABLE)
    renderSignedIn(<PricesCard />)
    const card = await openCard()
    await userEvent.clear(cell(card, '第 1 行 输入价格'))
    await userEvent.type(cell(card, '第 1 行 输入价格'), '-1')
    await userEvent.clear(cell(card, '第 2 行 输出价格'))
    await userEvent.type(cell(card, '第 2 行 输出价格'), '1e3')
    await userEvent.click(within(card).getByRole('button', { name: '保存' }))

    const firstRow = cell(card, '第 1 行 输入价格').closest('tr') as HTMLElement
    expect(await within(firstRow).findByText('不能小于 0')).toBeTruthy()
    const secondRow = cell(card, '第 2 行 输出价格').closest('tr') as HTMLElement
    expect(within(secondRow).getByText('应为数字')).toBeTruthy()
    expect(within(card).getByText('有 2 处需要修改，见表中标出的单元格。')).toBeTruthy()

    // The schema checks for repeated models once every row is well formed, as the server does.
    await userEvent.clear(cell(card, '第 1 行 输入价格'))
    await userEvent.type(cell(card, '第 1 行 输入价格'), '1')
    await userEvent.clear(cell(card, '第 2 行 输出价格'))
    await userEvent.type(cell(card, '第 2 行 输出价格'), '1000')
    await userEvent.clear(cell(card, '第 2 行 模型'))
    await userEvent.type(cell(card, '第 2 行 模型'), 'deepseek-ai/DeepSeek-V3')
    await userEvent.click(within(card).getByRole('button', { name: '保存' }))
    expect(await within(secondRow).findByText('模型重复：每个模型只能出现一次')).toBeTruthy()
    expect(within(firstRow).queryByText('不能小于 0')).toBeNull()
    expect(puts(requests)).toEqual([])
  })

  it('imports a JSON file into the table for review and saves it only on Save', async () => {
    const { requests } = serverWith(TABLE)
    renderSignedIn(<PricesCard />)
    const card = await openCard()
    const imported = {
      prices: [{ model: 'THUDM/GLM-4-9B', inputPerMillion: 0.6, outputPerMillion: 0.6 }],
    }
    const file = new File([JSON.stringify(imported)], 'prices.json', { type: 'application/json' })
    await userEvent.upload(within(card).getByLabelText('从文件导入'), file)

    expect(
      await within(card).findByText('已导入 1 个模型到表格，请检查后点击“保存”。'),
    ).toBeTruthy()
    expect(cell(card, '第 1 行 模型').value).toBe('THUDM/GLM-4-9B')
    expect(within(card).queryByLabelText('第 2 行 模型')).toBeNull()
    expect(puts(requests)).toEqual([])

    await userEvent.click(within(card).getByRole('button', { name: '保存' }))
    expect(await screen.findByText('价格表已保存（1 个模型）')).toBeTruthy()
    expect(puts(requests)[0]?.body).toEqual(imported)
  })

  it('imports pasted text, and refuses a bad import without touching the table', async () => {
    serverWith(TABLE)
    renderSignedIn(<PricesCard />)
    const card = await openCard()
    const pasteBox = within(card).getByLabelText('或粘贴 JSON')
    const apply = within(card).getByRole('button', { name: '导入到表格' })

    await userEvent.click(pasteBox)
    await userEvent.paste('{"prices": [')
    await userEvent.click(apply)
    expect(await within(card).findByText('不是有效的 JSON。')).toBeTruthy()

    await userEvent.clear(pasteBox)
    await userEvent.click(pasteBox)
    await userEvent.paste(
      JSON.stringify({
        prices: [
          { model: 'a', inputPerMillion: 1, outputPerMillion: 1 },
          { model: 'b', inputPerMillion: 1, outputPerMillion: -2 },
        ],
      }),
    )
    await userEvent.click(apply)
    expect(await within(card).findByText('第 2 行 输出价格：不能小于 0')).toBeTruthy()
    expect(cell(card, '第 1 行 模型').value).toBe('deepseek-ai/DeepSeek-V3')

    // A copy of GET /prices (with its updatedAt) is taken as well.
    await userEvent.clear(pasteBox)
    await userEvent.click(pasteBox)
    await userEvent.paste(
      JSON.stringify({
        prices: [{ model: 'c', inputPerMillion: 3, outputPerMillion: 4 }],
        updatedAt: UPDATED_AT,
      }),
    )
    await userEvent.click(apply)
    expect(await within(card).findByText(/已导入 1 个模型到表格/)).toBeTruthy()
    expect(cell(card, '第 1 行 模型').value).toBe('c')
    expect(cell(card, '第 1 行 输出价格').value).toBe('4')
  })

  it('exports the saved table as { prices } JSON', async () => {
    serverWith(TABLE)
    const downloads = captureDownloads()
    renderSignedIn(<PricesCard />)
    const card = await openCard()
    // An unsaved edit is not exported: the file is the table the server holds.
    await userEvent.type(cell(card, '第 1 行 输入价格'), '9')
    await userEvent.click(within(card).getByRole('button', { name: '导出 JSON' }))

    expect(downloads.names).toEqual(['sfp-prices.json'])
    const blob = downloads.blobs[0] as Blob
    expect(blob.type).toBe('application/json')
    expect(JSON.parse(await blob.text())).toEqual({ prices: TABLE.prices })
  })

  it('shows nothing on a server without the prices route', async () => {
    mockFetch({})
    renderSignedIn(<PricesCard />)
    await vi.waitFor(() => expect(screen.queryByText('加载中…')).toBeNull())
    expect(screen.queryByRole('region', { name: '模型价格' })).toBeNull()
  })
})
