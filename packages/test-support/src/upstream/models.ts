/** Models the look-alike knows; others answer 400 code 20012 like the real service. */
export const MODELS = [
  { id: 'Qwen/Qwen2.5-7B-Instruct', type: 'text', sub_type: 'chat' },
  { id: 'deepseek-ai/DeepSeek-V3', type: 'text', sub_type: 'chat' },
  { id: 'deepseek-ai/DeepSeek-R1', type: 'text', sub_type: 'chat' },
  { id: 'BAAI/bge-m3', type: 'text', sub_type: 'embedding' },
  { id: 'BAAI/bge-reranker-v2-m3', type: 'text', sub_type: 'reranker' },
  { id: 'Kwai-Kolors/Kolors', type: 'image', sub_type: 'text-to-image' },
  { id: 'FunAudioLLM/CosyVoice2-0.5B', type: 'audio', sub_type: 'text-to-speech' },
  { id: 'FunAudioLLM/SenseVoiceSmall', type: 'audio', sub_type: 'speech-to-text' },
  { id: 'Wan-AI/Wan2.1-T2V-14B', type: 'video', sub_type: 'text-to-video' },
] as const

export function isKnownModel(model: unknown): boolean {
  return typeof model === 'string' && MODELS.some((m) => m.id === model)
}

/** Deterministic, so a test can compare what two runs streamed byte for byte. */
export const CREATED = 1_750_000_000
