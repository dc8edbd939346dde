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

/** An open status stream that sends each status when the test says so. */
export function controlledStatusStream(): { response: Response; send(status: StatusView): void } {
  const encoder = new TextEncoder()
  let stream: ReadableStreamDefaultController<Uint8Array> | undefined
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      stream = controller
    },
  })
  return {
    response: new Response(body, { headers: { 'content-type': 'text/event-stream' } }),
    send(status) {
      stream?.enqueue(encoder.encode(`event: status\ndata: ${JSON.stringify(status)}\n\n`))
    },
  }
}
