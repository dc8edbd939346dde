export interface SdkSnippet {
  name: string
  code: string
}

const MODEL = 'Qwen/Qwen2.5-7B-Instruct'
const KEY_PLACEHOLDER = 'sk-sfp-...'

/** Ready-to-paste examples for this server's `/v1` base URL (the SDK base-URL swap). */
export function sdkSnippets(baseUrl: string): SdkSnippet[] {
  return [
    {
      name: 'curl',
      code: `curl ${baseUrl}/chat/completions \\
  -H "Authorization: Bearer ${KEY_PLACEHOLDER}" \\
  -H "Content-Type: application/json" \\
  -d '{"model":"${MODEL}","messages":[{"role":"user","content":"你好"}]}'`,
    },
    {
      name: 'Python',
      code: `from openai import OpenAI

client = OpenAI(base_url="${baseUrl}", api_key="${KEY_PLACEHOLDER}")
reply = client.chat.completions.create(
    model="${MODEL}",
    messages=[{"role": "user", "content": "你好"}],
)
print(reply.choices[0].message.content)`,
    },
    {
      name: 'JavaScript',
      code: `import OpenAI from 'openai'

const client = new OpenAI({ baseURL: '${baseUrl}', apiKey: '${KEY_PLACEHOLDER}' })
const reply = await client.chat.completions.create({
  model: '${MODEL}',
  messages: [{ role: 'user', content: '你好' }],
})
console.log(reply.choices[0].message.content)`,
    },
  ]
}
