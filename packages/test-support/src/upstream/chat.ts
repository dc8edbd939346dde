import { type Answer, ERRORS, json } from './answer.js'
import { CREATED, isKnownModel } from './models.js'
import { sseEvent } from './sse.js'

interface ChatMessage {
  role?: unknown
  content?: unknown
}

/** Whitespace-separated words: a stand-in for tokens that tests can predict. */
function countWords(text: string): number {
  return text.split(/\s+/).filter(Boolean).length
}

function promptText(body: Record<string, unknown>): string {
  if (Array.isArray(body.messages)) {
    return (body.messages as ChatMessage[])
      .map((m) => (typeof m.content === 'string' ? m.content : ''))
      .join(' ')
  }
  return [body.prompt, body.suffix].filter((p) => typeof p === 'string').join(' ')
}

/** The reply is predictable from the prompt: "Hello from mock: <first words of the prompt>". */
export function replyWords(prompt: string): string[] {
  const echo = prompt.split(/\s+/).filter(Boolean).slice(0, 5)
  return ['Hello', 'from', 'mock:', ...echo]
}

export function usageOf(prompt: string, completion: readonly string[]) {
  const promptTokens = Math.max(1, countWords(prompt))
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completion.length,
    total_tokens: promptTokens + completion.length,
  }
}

/** `/v1/chat/completions` and `/v1/completions` (FIM with `suffix` included). */
export function completionAnswer(
  body: Record<string, unknown>,
  kind: 'chat' | 'text',
  id: string,
): Answer {
  if (!isKnownModel(body.model)) return ERRORS.modelNotFound()
  const prompt = promptText(body)
  const words = replyWords(prompt)
  const usage = usageOf(prompt, words)
  const object = kind === 'chat' ? 'chat.completion' : 'text_completion'
  const model = body.model

  if (body.stream !== true) {
    const choice =
      kind === 'chat'
        ? {
            index: 0,
            message: { role: 'assistant', content: words.join(' ') },
            finish_reason: 'stop',
          }
        : { index: 0, text: words.join(' '), finish_reason: 'stop' }
    return json(200, { id, object, created: CREATED, model, choices: [choice], usage })
  }

  const chunkObject = kind === 'chat' ? 'chat.completion.chunk' : 'text_completion'
  const chunk = (choice: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
    sseEvent({ id, object: chunkObject, created: CREATED, model, choices: [choice], ...extra })
  const piece = (text: string) =>
    kind === 'chat'
      ? { index: 0, delta: { content: text }, finish_reason: null }
      : { index: 0, text, finish_reason: null }

  const events: string[] = []
  if (kind === 'chat')
    events.push(chunk({ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }))
  words.forEach((word, i) => {
    events.push(chunk(piece(i === 0 ? word : ` ${word}`)))
  })
  events.push(
    chunk(
      kind === 'chat'
        ? { index: 0, delta: {}, finish_reason: 'stop' }
        : { index: 0, text: '', finish_reason: 'stop' },
    ),
  )
  const options = body.stream_options as { include_usage?: unknown } | undefined
  if (options?.include_usage === true) {
    events.push(sseEvent({ id, object: chunkObject, created: CREATED, model, choices: [], usage }))
  }
  events.push(sseEvent('[DONE]'))
  return { type: 'sse', events }
}
