import { PROXY_ERRORS } from '@sfp/schemas'
import { screen } from '@testing-library/react'
import { describe, expect, it } from 'vitest'
import { ERROR_TYPE_LABELS, errorTypeLabel } from '../../src/i18n/error-types.js'
import { LogsPage } from '../../src/pages/logs/LogsPage.js'
import { navigate } from '../../src/router/history-router.js'
import { json, mockFetch } from '../helpers/fetch-mock.js'
import { keyView, logEntry, statusView } from '../helpers/fixtures.js'
import { renderSignedIn } from '../helpers/render.js'

const HAN = /\p{Script=Han}/u

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
    mockFetch({
      'GET /api/manage/api-keys': () => json({ keys: [keyView()], total: 1 }),
      'GET /api/manage/status': () => json(statusView()),
      'GET /api/manage/logs': () =>
        json({
          items: [logEntry({ id: 1, status: 502, errorType: 'upstream_unreachable' })],
          nextCursor: null,
        }),
    })
    navigate('/logs')
    renderSignedIn(<LogsPage />, { live: true })
    const words = await screen.findByText('上游无法连接')
    expect(words.getAttribute('title')).toBe('upstream_unreachable')
    expect(screen.queryByText('upstream_unreachable')).toBeNull()
  })
})
