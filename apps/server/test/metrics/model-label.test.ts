import { describe, expect, it, vi } from 'vitest'
import { createModelLabel, MODEL_NAME_MAX_LENGTH } from '../../src/metrics/model-label.js'

const noSecrets = () => false

describe('createModelLabel', () => {
  it('keeps SiliconFlow model ids as they are', () => {
    const label = createModelLabel({ maxValues: 10, isSecret: noSecrets })
    const ids = [
      'Qwen/Qwen2.5-7B-Instruct',
      'Pro/deepseek-ai/DeepSeek-R1',
      'black-forest-labs/FLUX.1-schnell',
      'netease-youdao/bce-embedding-base_v1',
      'ft:LoRA/Qwen/Qwen2.5-7B-Instruct:abc:def',
    ]
    expect(ids.map(label)).toEqual(ids)
  })

  it('reports what does not look like a model id as "other", whatever its prefix', () => {
    const label = createModelLabel({ maxValues: 10, isSecret: noSecrets })
    const notModels = [
      'plain-client-key-without-prefix-1234567890',
      'sk-abcdefghijklmnopqrstuvwxyz',
      'Bearer abc/def',
      'org/model with spaces',
      '/leading/slash',
      'trailing/',
      'org/mödel',
      `org/${'m'.repeat(MODEL_NAME_MAX_LENGTH)}`,
    ]
    expect(notModels.map(label)).toEqual(notModels.map(() => 'other'))
  })

  it('never labels a value the server knows as a secret, and asks once per kept name', () => {
    const isSecret = vi.fn((value: string) => value === 'team/client-key-9f8e7d')
    const label = createModelLabel({ maxValues: 10, isSecret })
    expect(label('team/client-key-9f8e7d')).toBe('other')
    expect(label('BAAI/bge-m3')).toBe('BAAI/bge-m3')
    expect(label('BAAI/bge-m3')).toBe('BAAI/bge-m3')
    expect(isSecret.mock.calls).toEqual([['team/client-key-9f8e7d'], ['BAAI/bge-m3']])
  })

  it('keeps the first model ids seen and reports every later new one as "other"', () => {
    const label = createModelLabel({ maxValues: 2, isSecret: noSecrets })
    expect(['a/1', 'b/2', 'c/3', 'a/1', 'b/2', 'd/4'].map(label)).toEqual([
      'a/1',
      'b/2',
      'other',
      'a/1',
      'b/2',
      'other',
    ])
  })

  it('names a missing model', () => {
    const label = createModelLabel({ maxValues: 10, isSecret: noSecrets })
    expect([label(null), label('')]).toEqual(['unknown', 'unknown'])
  })
})
