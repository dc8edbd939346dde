import { act, render, screen } from '@testing-library/react'
import { describe, expect, it, vi } from 'vitest'
import { ApiError } from '../../src/api/api-error.js'
import { ErrorNotice } from '../../src/components/ErrorNotice.js'
import { KeyEventList } from '../../src/components/KeyEventList.js'
import { I18nProvider } from '../../src/i18n/I18nProvider.js'
import { EgressesPage } from '../../src/pages/egresses/EgressesPage.js'
import { KeyRow } from '../../src/pages/keys/KeyRow.js'
import { LogDetailDialog } from '../../src/pages/logs/LogDetailDialog.js'
import { LogsTable } from '../../src/pages/logs/LogsTable.js'
import { InstancesCard } from '../../src/pages/overview/InstancesCard.js'
import { LanesCard } from '../../src/pages/overview/LanesCard.js'
import { json, mockFetch } from '../helpers/fetch-mock.js'
import {
  egressView,
  HOSTILE,
  instanceStatus,
  keyEvent,
  keyView,
  laneStatus,
  logEntry,
  statusView,
} from '../helpers/fixtures.js'
import { renderSignedIn } from '../helpers/render.js'

/** Text from clients and upstream (model names, labels, error texts) must never become markup. */
function expectInert(container: ParentNode = document) {
  expect(container.querySelector('img')).toBeNull()
  expect(
    screen.getAllByText((_, element) => element?.textContent === HOSTILE).length,
  ).toBeGreaterThan(0)
}

describe('hostile strings render as text', () => {
  it('in the logs table and the request detail', async () => {
    mockFetch({
      'GET /api/manage/api-keys': () => json({ keys: [keyView({ label: HOSTILE })], total: 1 }),
      'GET /api/manage/status': () => json(statusView()),
    })
    const entry = logEntry({ model: HOSTILE, errorMessage: HOSTILE, errorType: HOSTILE })
    renderSignedIn(
      <>
        <LogsTable items={[entry]} onOpen={() => undefined} />
        <LogDetailDialog entry={entry} onClose={() => undefined} />
      </>,
      { live: true },
    )
    await screen.findAllByText(HOSTILE)
    expectInert()
  })

  it('in a key row (label and last error)', () => {
    const onToggle = vi.fn()
    render(
      <I18nProvider initialLanguage="zh">
        <table>
          <tbody>
            <KeyRow
              keyView={keyView({ label: HOSTILE, lastError: HOSTILE })}
              selected={false}
              rowIndex={2}
              onToggle={onToggle}
              onManage={() => undefined}
            />
          </tbody>
        </table>
      </I18nProvider>,
    )
    expect(document.querySelector('img')).toBeNull()
    expect(document.body.textContent).toContain(HOSTILE)
  })

  it('in key events and server error messages', async () => {
    mockFetch({
      'GET /api/manage/api-keys': () => json({ keys: [], total: 0 }),
      'GET /api/manage/status': () => json(statusView()),
    })
    renderSignedIn(
      <>
        <KeyEventList
          events={[
            keyEvent({ reason: HOSTILE }),
            keyEvent({
              id: 2,
              reason: 'upstream words',
              explanation: { code: 'network_error', params: { detail: HOSTILE } },
            }),
          ]}
        />
        <ErrorNotice
          error={new ApiError(400, 'bad', HOSTILE, [{ field: HOSTILE, reason: HOSTILE }])}
        />
      </>,
      { live: true },
    )
    await screen.findAllByText(HOSTILE)
    expectInert()
  })

  it('in egresses (label, URL, state reason, check error), lanes and instances', async () => {
    const lane = laneStatus({ label: HOSTILE, state: 'blocked', drivenBy: HOSTILE })
    // Instance ids and addresses come from each instance's environment.
    const cluster = {
      mode: 'cluster' as const,
      instances: [instanceStatus({ id: HOSTILE, address: HOSTILE, self: false })],
    }
    mockFetch({
      'GET /api/manage/api-keys': () => json({ keys: [keyView({ label: HOSTILE })], total: 1 }),
      'GET /api/manage/status': () => json(statusView({ egresses: [lane], ...cluster })),
      'GET /api/manage/egresses': () =>
        json({
          egresses: [
            egressView({ label: HOSTILE, url: HOSTILE, state: 'down', stateReason: HOSTILE }),
          ],
        }),
      'POST /api/manage/egresses/1/check': () =>
        json({ ok: false, latencyMs: null, error: HOSTILE }),
    })
    renderSignedIn(
      <>
        <EgressesPage />
        <LanesCard
          lanes={[
            {
              ...lane,
              switchGuard: {
                ...lane.switchGuard,
                blocked: {
                  code: 'egress_blocked',
                  message: 'x',
                  retryAfterSeconds: null,
                  explanation: {
                    code: 'no_usable_key',
                    params: { current: { keyId: 1, status: HOSTILE }, nextAt: null },
                  },
                },
              },
            },
          ]}
          cluster={cluster}
          clockOffsetMs={0}
        />
        <InstancesCard instances={cluster.instances} lanes={[lane]} clockOffsetMs={0} />
      </>,
      { live: true },
    )
    const check = await screen.findByRole('button', { name: `检查“${HOSTILE}”` })
    await act(async () => check.click())
    await screen.findByText(`连接失败：${HOSTILE}`)
    expectInert()
  })
})
