/** What an endpoint answers, before faults and pacing are applied by the server. */
export type Answer =
  | { type: 'json'; status: number; body: unknown; headers?: Record<string, string> }
  | { type: 'sse'; events: string[] }
  | { type: 'binary'; contentType: string; chunks: Buffer[] }

export function json(status: number, body: unknown): Answer {
  return { type: 'json', status, body }
}

/** SiliconFlow's own error shape: `{code, message, data}`, not OpenAI's envelope. */
export function siliconFlowError(
  status: number,
  code: number | undefined,
  message: string,
): Answer {
  return json(status, code === undefined ? { message, data: null } : { code, message, data: null })
}

export const ERRORS = {
  invalidKey: () => siliconFlowError(401, undefined, 'Invalid token'),
  missingKey: () => siliconFlowError(401, undefined, 'API Key is not properly set'),
  modelNotFound: () =>
    siliconFlowError(400, 20012, 'Model does not exist. Please check it carefully.'),
  badRequest: (message: string) => siliconFlowError(400, 20015, message),
  notFound: () => siliconFlowError(404, undefined, 'Not Found'),
  busy: () => siliconFlowError(503, 50508, 'System is too busy now. Please try again later.'),
  reallyBusy: () => siliconFlowError(503, 50603, 'System is really busy. Please try again later.'),
  rateLimited: () =>
    siliconFlowError(
      429,
      undefined,
      'Request was rejected due to rate limiting. Details: TPM limit reached.',
    ),
  forbidden: () => siliconFlowError(403, 30011, 'Insufficient permissions'),
  unknown: () => siliconFlowError(500, 50000, 'Unknown error'),
}
