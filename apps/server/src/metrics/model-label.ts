export interface ModelLabelOptions {
  /** Distinct model names kept; any further name is reported as `other`. */
  maxValues: number
  /** True for a value equal to a key or password the server knows: never a label. */
  isSecret(value: string): boolean
}

/** Longer than any SiliconFlow model id; a longer value is not a model name. */
export const MODEL_NAME_MAX_LENGTH = 100

/**
 * What a SiliconFlow model id looks like: `Org/Model-Name`, sometimes with more parts
 * (`Pro/deepseek-ai/DeepSeek-R1`, `LoRA/Qwen/...`, `ft:...:...`). The slash and the narrow
 * character set keep out what else a client can put in `model`: a key, a password, a sentence.
 */
const MODEL_NAME = /^[A-Za-z0-9][\w.:+-]*(?:\/[\w.:+-]+)+$/

export const OTHER_MODEL = 'other'
export const MISSING_MODEL = 'unknown'

/**
 * Turns the `model` of a request into a label value. Clients choose that string, and each
 * distinct label value is a time series Prometheus keeps, so only values shaped like a model id
 * pass, never one equal to a known secret, and only the first `maxValues` of them: everything
 * else is `other`. The secret check runs once per name kept, not once per request.
 */
export function createModelLabel({
  maxValues,
  isSecret,
}: ModelLabelOptions): (model: string | null) => string {
  const kept = new Set<string>()
  return (model) => {
    if (model === null || model === '') return MISSING_MODEL
    if (kept.has(model)) return model
    if (kept.size >= maxValues) return OTHER_MODEL
    if (model.length > MODEL_NAME_MAX_LENGTH || !MODEL_NAME.test(model)) return OTHER_MODEL
    if (isSecret(model)) return OTHER_MODEL
    kept.add(model)
    return model
  }
}
