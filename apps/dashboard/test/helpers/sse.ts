import type { StatusView } from '@sfp/schemas'

/** An SSE answer that sends these statuses and then stays open (as the real stream does). */
export function statusStream(statuses: StatusView[]): Response {
  const encoder = new TextEncoder()
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const status of statuses) {
        controller.enqueue(encoder.encode(`event: status\ndata: ${JSON.stringify(status)}\n\n`))
      }
    },
  })
  return new Response(body, { headers: { 'content-type': 'text/event-stream' } })
}
