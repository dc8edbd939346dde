import {
  type AddKeysResponse,
  addKeysResponseSchema,
  type ListLogsResponse,
  listLogsResponseSchema,
} from '@sfp/schemas'
import { vi } from 'vitest'

/*
 * What a test arranges or checks from outside the browser: the admin API (Basic auth, as the
 * dashboard calls it) and the proxy route a client SDK calls.
 */

export interface AdminClient {
  addKeys(text: string): Promise<AddKeysResponse>
  logs(): Promise<ListLogsResponse>
  /**
   * Resolves once the request log holds `count` rows: rows are written in batches every second,
   * so a request that has been answered is not necessarily logged yet.
   */
  waitForLogRows(count: number): Promise<ListLogsResponse>
}

export function createAdminClient(serverUrl: string, password: string): AdminClient {
  const authorization = `Basic ${Buffer.from(`admin:${password}`).toString('base64')}`
  async function call(path: string, init: RequestInit = {}): Promise<unknown> {
    const response = await fetch(`${serverUrl}/api/manage${path}`, {
      ...init,
      headers: { authorization, 'content-type': 'application/json' },
    })
    if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`)
    return response.json()
  }
  const logs = async () => listLogsResponseSchema.parse(await call('/logs'))
  return {
    addKeys: async (text) =>
      addKeysResponseSchema.parse(
        await call('/api-keys', { method: 'POST', body: JSON.stringify({ api_keys: text }) }),
      ),
    logs,
    waitForLogRows: (count) =>
      vi.waitFor(
        async () => {
          const page = await logs()
          if (page.items.length < count) throw new Error(`${page.items.length} of ${count} rows`)
          return page
        },
        { timeout: 10_000, interval: 100 },
      ),
  }
}

export interface ChatCompletionResult {
  status: number
  body: unknown
}

/** `POST /v1/chat/completions` with the client key, as any OpenAI SDK would send it. */
export async function sendChatCompletion(
  serverUrl: string,
  clientKey: string,
  model: string,
): Promise<ChatCompletionResult> {
  const response = await fetch(`${serverUrl}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${clientKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: '你好，代理' }] }),
  })
  return { status: response.status, body: await response.json() }
}
