import { act, screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { afterEach, describe, expect, it } from 'vitest'
import {
  laneStatuses,
  renderEgressesPage,
  requestsTo,
  rowOf,
  sampleEgresses,
} from '../../helpers/egresses-page.js'
import { apiError, json } from '../../helpers/fetch-mock.js'
import { egressView, statusView } from '../../helpers/fixtures.js'
import { controlledStatusStream } from '../../helpers/sse.js'

const PASSWORD = 's3cret-pass'
const SECRET_URL = `socks5://bob:${PASSWORD}@198.51.100.7:1080`

/** The password must be nowhere: not in the page's text, not in any field. */
function expectNoPassword() {
  expect(document.body.textContent).not.toContain(PASSWORD)
  for (const input of document.querySelectorAll('input, textarea')) {
    expect((input as HTMLInputElement).value).not.toContain(PASSWORD)
  }
}

function urlField(): HTMLInputElement {
  return screen.getByLabelText('出口地址') as HTMLInputElement
}

describe('EgressesPage', () => {
  afterEach(() => {
    ;(window as unknown as HappyDomWindow).happyDOM?.setViewport({ width: 1024, height: 768 })
  })

  it('explains egresses and lists each with its state, reason, countdown and key', async () => {
    await renderEgressesPage()
    expect(screen.getByRole('heading', { level: 1, name: '出口' })).toBeTruthy()
    expect(screen.getByText(/硅基流动按 IP 防滥用/)).toBeTruthy()

    const direct = rowOf(1)
    expect(within(direct).getByText('出口 #1')).toBeTruthy()
    expect(within(direct).getByText('内置')).toBeTruthy()
    expect(within(direct).getByText('正常')).toBeTruthy()
    expect(within(direct).getByText('本机网络')).toBeTruthy()
    expect(await within(direct).findByText('sk-aaaa…0001')).toBeTruthy()
    expect(direct.textContent).toContain('1,234 / 5')
    // The built-in direct egress cannot be deleted: its button says why instead.
    const builtinDelete = within(direct).getByRole('button', { name: '删除“出口 #1”' })
    expect(builtinDelete).toHaveProperty('disabled', true)
    expect(builtinDelete.getAttribute('aria-describedby')).toBeTruthy()

    const down = rowOf(2)
    expect(within(down).getByText('office')).toBeTruthy()
    expect(within(down).getByText('SOCKS5 代理', { exact: false })).toBeTruthy()
    // The server's masked URL, as it is.
    expect(within(down).getByText('socks5://alice:***@10.0.0.2:1080').tagName).toBe('CODE')
    expect(within(down).getByText('不通')).toBeTruthy()
    expect(within(down).getByText('proxy refused the connection')).toBeTruthy()
    expect(down.textContent).toContain('距离下次重试还有')
    expect(within(down).getByRole('timer').textContent).toMatch(/^01:(30|29)$/)

    const blocked = rowOf(3)
    expect(within(blocked).getByText('IP 被封')).toBeTruthy()
    expect(within(blocked).getByText('upstream answered 50603')).toBeTruthy()
    expect(blocked.textContent).toContain('距离解封还有')
    expect(within(blocked).getByRole('timer').textContent).toMatch(/^(30:00|29:5\d)$/)
    expect(within(blocked).getByText('sk-bbbb…0002')).toBeTruthy()

    const disabled = rowOf(4)
    expect(within(disabled).getByText('已停用')).toBeTruthy()
    expect(within(disabled).queryByRole('timer')).toBeNull()
    expect(within(disabled).getByRole('button', { name: '启用“spare”' })).toBeTruthy()
  })

  it('shows the states in English too', async () => {
    await renderEgressesPage({}, { language: 'en' })
    expect(within(rowOf(2)).getByText('Down')).toBeTruthy()
    expect(within(rowOf(3)).getByText('Blocked')).toBeTruthy()
    expect(within(rowOf(3)).getByText('Egress #3')).toBeTruthy()
    expect(rowOf(3).textContent).toContain('Unblocked in')
    expect(within(rowOf(4)).getByText('Disabled')).toBeTruthy()
  })

  it('adds a proxy by URL, then clears the field and never shows the password', async () => {
    const added = egressView({
      id: 5,
      kind: 'socks5',
      url: 'socks5://bob:***@198.51.100.7:1080',
      currentKeyId: null,
    })
    const server = await renderEgressesPage({
      'POST /api/manage/egresses': () => {
        server.setEgresses([...sampleEgresses(), added])
        return json(added, 201)
      },
    })
    const url = urlField()
    expect(url.getAttribute('autocomplete')).toBe('off')
    expect(url.getAttribute('spellcheck')).toBe('false')
    expect(url.getAttribute('placeholder')).toContain('socks5://user:pass@host:1080')
    await userEvent.type(url, SECRET_URL)
    // Recognised as you type, without repeating the URL.
    expect(screen.getByText('识别为：SOCKS5 代理（带用户名和密码）')).toBeTruthy()
    await userEvent.type(screen.getByLabelText('备注（可选）'), '  ')
    await userEvent.click(screen.getByRole('button', { name: '添加' }))

    expect(await screen.findByText('出口 #5 已添加')).toBeTruthy()
    expect(requestsTo(server.requests, 'POST', '/egresses').map((r) => r.body)).toEqual([
      { url: SECRET_URL },
    ])
    expect(url.value).toBe('')
    expect(await screen.findByText('socks5://bob:***@198.51.100.7:1080')).toBeTruthy()
    expectNoPassword()
  })

  it('asks for a local address only for direct, and sends it with the label', async () => {
    const { requests } = await renderEgressesPage({
      'POST /api/manage/egresses': () =>
        json(egressView({ id: 6, label: 'second IP', localAddress: '192.0.2.10' }), 201),
    })
    expect(screen.queryByLabelText('本地地址（可选）')).toBeNull()
    await userEvent.type(urlField(), 'direct')
    await userEvent.type(screen.getByLabelText('本地地址（可选）'), '192.0.2.10')
    await userEvent.type(screen.getByLabelText('备注（可选）'), 'second IP')
    await userEvent.click(screen.getByRole('button', { name: '添加' }))
    expect(await screen.findByText('second IP 已添加')).toBeTruthy()
    expect(requestsTo(requests, 'POST', '/egresses').map((r) => r.body)).toEqual([
      { url: 'direct', label: 'second IP', localAddress: '192.0.2.10' },
    ])
    expect(screen.queryByLabelText('本地地址（可选）')).toBeNull()
  })

  it('explains a malformed URL at once, in the page language, and sends nothing', async () => {
    const { requests } = await renderEgressesPage()
    await userEvent.type(urlField(), 'socks5://user:pw@host')
    await userEvent.click(screen.getByRole('button', { name: '添加' }))
    expect(
      screen.getByText(
        '格式应为 协议://[用户名:密码@]主机:端口；必须写端口，端口后不能再有路径或参数。',
      ),
    ).toBeTruthy()
    expect(urlField().getAttribute('aria-invalid')).toBe('true')
    expect(document.activeElement).toBe(urlField())
    expect(requestsTo(requests, 'POST', '/egresses')).toHaveLength(0)

    await userEvent.clear(urlField())
    await userEvent.type(urlField(), 'ftp://host:21')
    expect(screen.getByText('协议只能是 http、https、socks5 或 socks5h。')).toBeTruthy()
  })

  it('shows the server’s 400 field rules in Chinese, and a rule without a code as written', async () => {
    await renderEgressesPage({
      'POST /api/manage/egresses': () =>
        json(
          {
            error: {
              message: 'Invalid body',
              type: 'invalid_request_error',
              code: 'validation_error',
              fields: [
                {
                  field: 'url',
                  reason: 'the host is not a valid name or IP address',
                  rule: { kind: 'egress_url', problem: 'host' },
                },
                { field: 'label', reason: 'something new', rule: { kind: 'other' } },
              ],
            },
          },
          400,
        ),
    })
    await userEvent.type(urlField(), `http://user:${PASSWORD}@proxy.example:8080`)
    await userEvent.click(screen.getByRole('button', { name: '添加' }))
    const alert = await screen.findByRole('alert')
    expect(alert.textContent).toContain('输入有误：')
    expect(alert.textContent).toContain('出口地址：主机不是有效的域名或 IP 地址。')
    // A rule no code describes is shown as the server wrote it.
    expect(alert.textContent).toContain('备注：something new')
    expect(urlField().getAttribute('aria-invalid')).toBe('true')
    // The URL stays in its field to be corrected, and only there.
    expect(urlField().value).toContain(PASSWORD)
    expect(document.body.textContent).not.toContain(PASSWORD)
  })

  it('says when the egress exists already (409)', async () => {
    await renderEgressesPage({
      'POST /api/manage/egresses': () =>
        apiError(409, 'egress_exists', 'An egress with this scheme, host and port exists'),
    })
    await userEvent.type(urlField(), 'http://203.0.113.9:3128')
    await userEvent.click(screen.getByRole('button', { name: '添加' }))
    expect((await screen.findByRole('alert')).textContent).toContain(
      '已有相同的出口（同一协议、主机和端口；直连则为同一本地地址）。',
    )
  })

  it('disables and enables an egress with PATCH {enabled}', async () => {
    const egresses = sampleEgresses()
    const server = await renderEgressesPage({
      'PATCH /api/manage/egresses/2': (request) => {
        const enabled = (request.body as { enabled: boolean }).enabled
        const updated = egressView({
          ...egresses[1],
          enabled,
          state: enabled ? 'up' : 'disabled',
          stateReason: null,
          retryAt: null,
        })
        server.setEgresses(egresses.map((egress) => (egress.id === 2 ? updated : egress)))
        return json(updated)
      },
    })
    const { requests } = server
    await userEvent.click(within(rowOf(2)).getByRole('button', { name: '停用“office”' }))
    expect(await screen.findByText('office 已停用')).toBeTruthy()
    // Put in place at once: the same button enables it again.
    await userEvent.click(within(rowOf(2)).getByRole('button', { name: '启用“office”' }))
    expect(await screen.findByText('office 已启用')).toBeTruthy()
    expect(requestsTo(requests, 'PATCH', '/egresses/2').map((r) => r.body)).toEqual([
      { enabled: false },
      { enabled: true },
    ])
  })

  it('edits a label like a key’s, an emptied one saved as null', async () => {
    const egresses = sampleEgresses()
    const server = await renderEgressesPage({
      'PATCH /api/manage/egresses/3': (request) => {
        const label = (request.body as { label: string | null }).label
        const updated = egressView({ ...egresses[2], label })
        server.setEgresses(egresses.map((egress) => (egress.id === 3 ? updated : egress)))
        return json(updated)
      },
    })
    const { requests } = server
    await userEvent.click(within(rowOf(3)).getByRole('button', { name: '修改“出口 #3”的备注' }))
    const dialog = screen.getByRole('dialog', { name: '“出口 #3”的备注' })
    await userEvent.type(within(dialog).getByLabelText('备注'), 'tokyo')
    await userEvent.click(within(dialog).getByRole('button', { name: '保存' }))
    expect(await screen.findByText('备注已保存')).toBeTruthy()
    expect(screen.queryByRole('dialog')).toBeNull()
    expect(within(rowOf(3)).getByText('tokyo')).toBeTruthy()

    await userEvent.click(within(rowOf(3)).getByRole('button', { name: '修改“tokyo”的备注' }))
    const again = screen.getByRole('dialog', { name: '“tokyo”的备注' })
    await userEvent.clear(within(again).getByLabelText('备注'))
    await userEvent.click(within(again).getByRole('button', { name: '保存' }))
    await waitFor(() =>
      expect(requestsTo(requests, 'PATCH', '/egresses/3').map((r) => r.body)).toEqual([
        { label: 'tokyo' },
        { label: null },
      ]),
    )
  })

  it('deletes after a confirmation that says its keys are unbound', async () => {
    const server = await renderEgressesPage({
      'DELETE /api/manage/egresses/2': () => {
        server.setEgresses(sampleEgresses().filter((egress) => egress.id !== 2))
        return new Response(null, { status: 204 })
      },
    })
    await userEvent.click(within(rowOf(2)).getByRole('button', { name: '删除“office”' }))
    const dialog = screen.getByRole('dialog', { name: '删除“office”？' })
    expect(dialog.textContent).toContain('使用这个出口的密钥会被解除绑定')
    expect(requestsTo(server.requests, 'DELETE', '/egresses/2')).toHaveLength(0)
    await userEvent.click(within(dialog).getByRole('button', { name: '删除' }))
    expect(await screen.findByText('office 已删除')).toBeTruthy()
    expect(requestsTo(server.requests, 'DELETE', '/egresses/2')).toHaveLength(1)
    expect(document.querySelector('tr[data-egress-id="2"]')).toBeNull()
  })

  it('explains the server’s refusal to delete the built-in direct egress', async () => {
    // Another direct egress, which the page cannot tell from the built-in one by itself.
    const egresses = [
      ...sampleEgresses(),
      egressView({ id: 7, label: 'old host', localAddress: '192.0.2.1', currentKeyId: null }),
    ]
    await renderEgressesPage(
      {
        'DELETE /api/manage/egresses/7': () =>
          apiError(409, 'egress_builtin', 'The built-in direct egress cannot be deleted'),
      },
      { egresses },
    )
    expect(within(rowOf(7)).getByText('本地地址 192.0.2.1')).toBeTruthy()
    await userEvent.click(within(rowOf(7)).getByRole('button', { name: '删除“old host”' }))
    const dialog = screen.getByRole('dialog', { name: '删除“old host”？' })
    await userEvent.click(within(dialog).getByRole('button', { name: '删除' }))
    expect((await within(dialog).findByRole('alert')).textContent).toContain(
      '内置的直连出口不能删除；可以停用它，或设置 EGRESS_DIRECT=false。',
    )
    expect(rowOf(7)).toBeTruthy()
  })

  it('checks an egress and shows the latency, or why it failed', async () => {
    const { requests } = await renderEgressesPage({
      'POST /api/manage/egresses/1/check': () => json({ ok: true, latencyMs: 123, error: null }),
      'POST /api/manage/egresses/2/check': () =>
        json({ ok: false, latencyMs: null, error: 'connect ECONNREFUSED 10.0.0.2:1080' }),
    })
    const loads = requestsTo(requests, 'GET', '/egresses').length
    await userEvent.click(within(rowOf(1)).getByRole('button', { name: '检查“出口 #1”' }))
    expect(await within(rowOf(1)).findByText('连接正常，延迟 123毫秒')).toBeTruthy()
    await userEvent.click(within(rowOf(2)).getByRole('button', { name: '检查“office”' }))
    expect(
      await within(rowOf(2)).findByText('连接失败：connect ECONNREFUSED 10.0.0.2:1080'),
    ).toBeTruthy()
    expect(requestsTo(requests, 'POST', '/egresses/1/check')).toHaveLength(1)
    // A check may change the state: the list is loaded again after each.
    await waitFor(() =>
      expect(requestsTo(requests, 'GET', '/egresses').length).toBeGreaterThanOrEqual(loads + 2),
    )
  })

  it('reloads the list when the status stream shows the lanes changed', async () => {
    const stream = controlledStatusStream()
    const egresses = sampleEgresses()
    const { requests } = await renderEgressesPage({
      'GET /api/manage/events': () => stream.response,
    })
    const lanes = laneStatuses(egresses)
    await act(async () => stream.send(statusView({ egresses: lanes })))
    const loads = requestsTo(requests, 'GET', '/egresses').length
    // A lane's requests in flight and state change: the list follows.
    const changed = lanes.map((lane) =>
      lane.id === 2
        ? { ...lane, state: 'up' as const, dispatch: { ...lane.dispatch, inFlight: 1 } }
        : lane,
    )
    await act(async () => stream.send(statusView({ egresses: changed })))
    await waitFor(() => expect(requestsTo(requests, 'GET', '/egresses').length).toBe(loads + 1))
  })

  it('shows cards instead of a table at phone width', async () => {
    ;(window as unknown as HappyDomWindow).happyDOM.setViewport({ width: 390, height: 844 })
    await renderEgressesPage()
    expect(screen.queryByRole('table')).toBeNull()
    const card = rowOf(3)
    expect(card.tagName).toBe('LI')
    expect(within(card).getByText('IP 被封')).toBeTruthy()
    expect(within(card).getByRole('timer')).toBeTruthy()
    expect(within(card).getByText('http://203.0.113.9:3128')).toBeTruthy()
    expect(within(card).getByRole('button', { name: '检查“出口 #3”' })).toBeTruthy()
  })

  it('says when there is no egress at all', async () => {
    await renderEgressesPage({}, { egresses: [] })
    expect(await screen.findByText('还没有出口。添加 direct 或一个代理地址。')).toBeTruthy()
  })
})

interface HappyDomWindow {
  happyDOM: { setViewport(viewport: { width: number; height: number }): void }
}
