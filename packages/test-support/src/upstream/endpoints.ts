import { type Answer, ERRORS, json } from './answer.js'
import { usageOf } from './chat.js'
import { CREATED, isKnownModel, MODELS } from './models.js'
import type { MockAccount, UserInfoMode } from './types.js'

/** A few deterministic floats per input, enough for an SDK to parse. */
function embedding(text: string): number[] {
  return Array.from({ length: 8 }, (_, i) => Number(((text.length * (i + 1)) % 97) / 97))
}

export function embeddingsAnswer(body: Record<string, unknown>): Answer {
  if (!isKnownModel(body.model)) return ERRORS.modelNotFound()
  const inputs = Array.isArray(body.input) ? body.input.map(String) : [String(body.input ?? '')]
  const usage = usageOf(inputs.join(' '), [])
  return json(200, {
    object: 'list',
    model: body.model,
    data: inputs.map((text, index) => ({ object: 'embedding', index, embedding: embedding(text) })),
    usage: { prompt_tokens: usage.prompt_tokens, total_tokens: usage.prompt_tokens },
  })
}

export function rerankAnswer(body: Record<string, unknown>): Answer {
  if (!isKnownModel(body.model)) return ERRORS.modelNotFound()
  const documents = Array.isArray(body.documents) ? body.documents.map(String) : []
  return json(200, {
    id: 'rerank-mock',
    results: documents
      .map((document, index) => ({
        index,
        relevance_score: 1 / (index + 1),
        document: { text: document },
      }))
      .slice(0, typeof body.top_n === 'number' ? body.top_n : undefined),
    tokens: { input_tokens: usageOf(String(body.query ?? ''), []).prompt_tokens, output_tokens: 0 },
  })
}

export function imagesAnswer(body: Record<string, unknown>): Answer {
  if (!isKnownModel(body.model)) return ERRORS.modelNotFound()
  return json(200, {
    images: [{ url: 'https://example.invalid/mock-image.png' }],
    timings: { inference: 0.1 },
    seed: 42,
  })
}

/** A fake MP3: deterministic bytes in several chunks, so streaming is observable. */
export function speechAnswer(body: Record<string, unknown>): Answer {
  if (!isKnownModel(body.model)) return ERRORS.modelNotFound()
  const chunks = Array.from({ length: 4 }, (_, n) =>
    Buffer.alloc(16 * 1024, (n + String(body.input ?? '').length) % 256),
  )
  return { type: 'binary', contentType: 'audio/mpeg', chunks }
}

/** Reads just enough multipart to prove the upload arrived intact: file name and size. */
export function transcriptionAnswer(contentType: string, body: Buffer): Answer {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/.exec(contentType)
  if (!contentType.startsWith('multipart/form-data') || !boundary) {
    return ERRORS.badRequest('multipart/form-data with a file is required')
  }
  const text = body.toString('latin1')
  const fileName = /name="file"; filename="([^"]*)"/.exec(text)?.[1]
  if (fileName === undefined) return ERRORS.badRequest('file is required')
  const marker = `--${boundary[1] ?? boundary[2]}`
  const parts = text.split(marker)
  const filePart = parts.find((part) => part.includes('name="file"')) ?? ''
  const content = filePart.slice(filePart.indexOf('\r\n\r\n') + 4, -2)
  return json(200, {
    text: `transcribed ${fileName} (${Buffer.byteLength(content, 'latin1')} bytes)`,
  })
}

export function videoSubmitAnswer(body: Record<string, unknown>): Answer {
  if (!isKnownModel(body.model)) return ERRORS.modelNotFound()
  return json(200, { requestId: 'video-mock-1' })
}

export function videoStatusAnswer(body: Record<string, unknown>): Answer {
  if (body.requestId !== 'video-mock-1') return ERRORS.badRequest('requestId not found')
  return json(200, {
    status: 'Succeed',
    reason: '',
    results: {
      videos: [{ url: 'https://example.invalid/mock.mp4' }],
      timings: { inference: 1 },
      seed: 1,
    },
  })
}

export function modelsAnswer(query: URLSearchParams): Answer {
  const type = query.get('type')
  const subType = query.get('sub_type')
  const data = MODELS.filter(
    (m) => (!type || m.type === type) && (!subType || m.sub_type === subType),
  ).map((m) => ({ id: m.id, object: 'model', created: CREATED, owned_by: m.id.split('/')[0] }))
  return json(200, { object: 'list', data })
}

/** `@see` docs/upstream.md §3: strings, `totalBalance` = gift + paid. */
export function userInfoAnswer(mode: UserInfoMode, account: MockAccount): Answer | 'hang' {
  switch (mode) {
    case 'gone':
      return json(410, { code: 410, message: 'This endpoint has been retired', data: null })
    case 'not-found':
      return ERRORS.notFound()
    case 'malformed':
      return json(200, '{"code":20000,"data":{"totalBalance":')
    case 'hang':
      return 'hang'
    case 'ok':
      return json(200, {
        code: 20000,
        message: 'OK',
        status: true,
        data: {
          id: 'user-mock',
          name: 'mock',
          email: 'mock@example.invalid',
          isAdmin: false,
          balance: account.balance ?? '0.00',
          status: account.status ?? 'normal',
          chargeBalance: account.chargeBalance ?? '0.00',
          totalBalance: account.totalBalance ?? '0.00',
        },
      })
  }
}
