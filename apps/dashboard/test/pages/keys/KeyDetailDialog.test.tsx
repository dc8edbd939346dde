import { describe, expect, it } from 'vitest'
import { json } from '../../helpers/fetch-mock.js'
import { keyView } from '../../helpers/fixtures.js'
import { CURRENT_KEY, LOW_KEY, openKeyActions, renderKeysPage } from '../../helpers/keys-page.js'

describe('KeyDetailDialog', () => {
  it('lists the models upstream refused the key', async () => {
    const refused = keyView({
      id: 5,
      maskedKey: 'sk-eeee…0005',
      blockedModels: ['Pro/deepseek-ai/DeepSeek-R1', 'Pro/Qwen/Qwen2.5-72B-Instruct'],
    })
    await renderKeysPage({
      'GET /api/manage/api-keys': () => json({ keys: [CURRENT_KEY, LOW_KEY, refused], total: 3 }),
    })
    const details = await openKeyActions(refused)
    expect(details.textContent).toContain('不可用的模型（上游拒绝此密钥使用）')
    const codes = [...details.querySelectorAll('dd code')].map((code) => code.textContent)
    expect(codes).toEqual(['Pro/deepseek-ai/DeepSeek-R1', 'Pro/Qwen/Qwen2.5-72B-Instruct'])
  })

  it('shows no row of refused models for a key without any', async () => {
    await renderKeysPage()
    const details = await openKeyActions(CURRENT_KEY)
    expect(details.textContent).not.toContain('不可用的模型')
  })
})
