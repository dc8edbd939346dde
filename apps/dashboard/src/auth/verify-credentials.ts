import { isApiError } from '../api/api-error.js'
import { createHttpClient } from '../api/http-client.js'

/**
 * Proves a login by calling `/api/manage/status`; `/config` stands in on servers that do not have
 * the status route yet (404). Any success proves the password; the body is not needed here.
 * Throws the ApiError otherwise (401 wrong, 429 too many tries, network).
 */
export async function verifyCredentials(authorization: string): Promise<void> {
  const http = createHttpClient({ authorization })
  try {
    await http.send('/api/manage/status')
  } catch (error) {
    if (!isApiError(error) || error.status !== 404) throw error
    await http.send('/api/manage/config')
  }
}
