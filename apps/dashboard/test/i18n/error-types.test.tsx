import { type Explanation, type LogEntry, PROXY_ERRORS } from '@sfp/schemas'
import { screen } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it } from 'vitest'
import { describeLogError, ERROR_TYPE_LABELS, errorTypeLabel } from '../../src/i18n/error-types.js'
import { renderExplanation } from '../../src/i18n/explanations.js'
import { createFormatters } from '../../src/i18n/format.js'
import { LogsPage } from '../../src/pages/logs/LogsPage.js'
import { navigate } from '../../src/router/history-router.js'
import { json, mockFetch } from '../helpers/fetch-mock.js'
import { keyView, logEntry, statusView } from '../helpers/fixtures.js'
import { renderSignedIn } from '../helpers/render.js'

const HAN = /\p{Script=Han}/u

/** The Logs page, in Chinese, showing these rows. */
function showLogs(items: LogEntry[]): void {
  mockFetch({
    'GET /api/manage/api-keys': () => json({ keys: [keyView()], total: 1 }),
    'GET /api/manage/status': () => json(statusView()),
    'GET /api/manage/logs': () => json({ items, nextCursor: null }),
  })
  navigate('/logs')
  renderSignedIn(<LogsPage />, { live: true })
}

describe("the request log's error types in words", () => {
  it('has Chinese and English words for every proxy error code and upstream outcome', () => {
    const codes = [...Object.keys(PROXY_ERRORS), 'upstream_error', 'client_disconnected']
    expect(Object.keys(ERROR_TYPE_LABELS).sort()).toEqual([...new Set(codes)].sort())
    for (const code of codes) {
      expect(errorTypeLabel('zh', code), code).toMatch(HAN)
      expect(errorTypeLabel('en', code), code).not.toMatch(HAN)
      expect(errorTypeLabel('en', code), code).not.toBe(code)
    }
  })

  it('shows a code this build does not know as it is', () => {
    expect(errorTypeLabel('zh', 'some_future_code')).toBe('some_future_code')
  })

  it('words the error type on the Chinese Logs page, the code kept as its title', async () => {
    showLogs([logEntry({ id: 1, status: 502, errorType: 'upstream_unreachable' })])
    const words = await screen.findByText('上游无法连接')
    expect(words.getAttribute('title')).toBe('upstream_unreachable')
    expect(screen.queryByText('upstream_unreachable')).toBeNull()
  })

  it("words a row's error params in Chinese in the detail; older rows show the server's text", async () => {
    showLogs([
      logEntry({
        id: 2,
        status: 502,
        errorType: 'upstream_unreachable',
        errorMessage:
          'The upstream could not be reached or sent a broken answer (connection refused)',
        errorParams: { cause: 'connection_refused', code: 'ECONNREFUSED' },
      }),
      logEntry({
        id: 1,
        status: 502,
        errorType: 'upstream_unreachable',
        errorMessage: 'old English text',
      }),
    ])
    const [newer, older] = await screen.findAllByRole('button', { name: /查看/ })
    await userEvent.click(newer as HTMLElement)
    expect(await screen.findByText('无法连接上游：连接被拒绝 (ECONNREFUSED)')).toBeTruthy()
    expect(screen.queryByText(/could not be reached/)).toBeNull()
    await userEvent.keyboard('{Escape}')
    await userEvent.click(older as HTMLElement)
    expect(await screen.findByText('old English text')).toBeTruthy()
  })

  it('words params in both languages, a refusal by the explanations catalog, odd params by the text', () => {
    const format = createFormatters('zh')
    const why = { code: 'egress_out', params: { egressId: 2, state: 'down', until: null } }
    const entry = (errorType: string, errorParams: Record<string, unknown>) => ({
      errorType,
      errorParams,
      errorMessage: 'English',
    })
    const zh = (errorType: string, params: Record<string, unknown>) =>
      describeLogError('zh', format, entry(errorType, params))
    expect(zh('upstream_error', { status: 403, detail: 'Insufficient permissions' })).toBe(
      '上游返回 HTTP 403：Insufficient permissions',
    )
    expect(zh('client_disconnected', { cutAfterMs: null })).toMatch(HAN)
    expect(zh('no_available_egress', { why })).toBe(
      renderExplanation('zh', format, why as Explanation),
    )
    const noLane = { code: 'no_lane_held', params: { instanceId: 'sfp-a', reason: 'database' } }
    expect(zh('database_unavailable', { why: noLane })).toBe(
      renderExplanation('zh', format, noLane as Explanation),
    )
    expect(errorTypeLabel('zh', 'database_unavailable')).toBe('实例连不上数据库')
    expect(errorTypeLabel('en', 'database_unavailable')).toBe('database unreachable')
    expect(
      describeLogError(
        'en',
        createFormatters('en'),
        entry('upstream_timeout', {
          cause: 'headers_timeout',
          code: 'UND_ERR_HEADERS_TIMEOUT',
        }),
      ),
    ).toBe('upstream timeout: no response headers in time (UND_ERR_HEADERS_TIMEOUT)')
    // Params of a shape this build does not know: the server's text.
    expect(zh('upstream_error', { status: 'x' })).toBe('English')
  })
})
