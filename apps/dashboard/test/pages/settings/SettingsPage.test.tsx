import { screen, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it, vi } from 'vitest'
import { basicAuthorization } from '../../../src/api/credentials.js'
import { SettingsPage } from '../../../src/pages/settings/SettingsPage.js'
import { apiError, json, mockFetch } from '../../helpers/fetch-mock.js'
import { settingView } from '../../helpers/fixtures.js'
import { renderSignedIn } from '../../helpers/render.js'

/** The first bytes of every SQLite database file. */
const SQLITE_BYTES = new TextEncoder().encode('SQLite format 3\0rest of the file')
const BACKUP_NAME = 'sfp-backup-2025-05-14T10-00-00-000Z.db'

function server(extra = {}) {
  return mockFetch({
    'GET /api/manage/config': () =>
      json({
        settings: [
          settingView(),
          settingView({
            name: 'ADMIN_PASSWORD',
            value: '(set)',
            secret: true,
            placeholder: { kind: 'set' },
            group: 'security',
            description: { zh: '管理员密码（用户 admin）', en: 'admin password (user `admin`)' },
          }),
          settingView({
            name: 'PROXY_API_KEYS',
            value: '(2 keys)',
            secret: true,
            placeholder: { kind: 'keys', count: 2 },
            group: 'security',
            description: { zh: '环境变量中的客户端密钥', en: 'client keys from the environment' },
          }),
          settingView({
            name: 'HOST',
            value: '0.0.0.0',
            description: { zh: '监听地址', en: 'listen address' },
          }),
        ],
      }),
    ...extra,
  })
}

/** Catches what `downloadFile` saves: the object URL's Blob and the link's file name. */
function captureDownloads() {
  const blobs: Blob[] = []
  const names: string[] = []
  vi.spyOn(URL, 'createObjectURL').mockImplementation((blob) => {
    blobs.push(blob as Blob)
    return 'blob:backup'
  })
  vi.spyOn(URL, 'revokeObjectURL').mockImplementation(() => undefined)
  vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (
    this: HTMLAnchorElement,
  ) {
    names.push(this.download)
  })
  return { blobs, names }
}

describe('SettingsPage backup', () => {
  it('explains the backup and downloads it with the session’s Basic auth', async () => {
    const { requests } = server({
      'GET /api/manage/backup': () =>
        new Response(SQLITE_BYTES, {
          headers: {
            'content-type': 'application/vnd.sqlite3',
            'content-disposition': `attachment; filename="${BACKUP_NAME}"`,
          },
        }),
    })
    const downloads = captureDownloads()
    renderSignedIn(<SettingsPage />)
    const card = screen.getByRole('region', { name: '备份' })
    expect(card.textContent).toContain('备份文件包含所有上游密钥')
    expect(card.textContent).toContain('停止服务，用备份文件替换 DATA_DIR/api_keys.db')

    await userEvent.click(within(card).getByRole('button', { name: '下载备份' }))
    expect(await screen.findByText(`已下载备份 ${BACKUP_NAME}`)).toBeTruthy()
    const call = requests.find((request) => request.url.pathname === '/api/manage/backup')
    expect(call?.headers.get('authorization')).toBe(basicAuthorization('admin', 'secret'))
    expect(downloads.names).toEqual([BACKUP_NAME])
    expect(new Uint8Array(await (downloads.blobs[0] as Blob).arrayBuffer())).toEqual(SQLITE_BYTES)
  })

  it('shows why a backup failed and downloads nothing', async () => {
    server({ 'GET /api/manage/backup': () => apiError(500, 'internal_error', 'disk full') })
    const downloads = captureDownloads()
    renderSignedIn(<SettingsPage />, { language: 'en' })
    await userEvent.click(screen.getByRole('button', { name: 'Download backup' }))
    expect((await screen.findByRole('alert')).textContent).toContain('disk full')
    expect(downloads.names).toEqual([])
  })
})

describe('SettingsPage configuration and snippets', () => {
  it('shows the settings with secrets marked, and snippets for this server’s /v1', async () => {
    server()
    renderSignedIn(<SettingsPage />)
    const config = screen.getByRole('region', { name: '当前生效的配置' })
    const secretRow = (await within(config).findByText('ADMIN_PASSWORD')).closest('tr')
    // The placeholder in the reader's language, not the English `value` kept for scripts.
    expect(secretRow?.textContent).toContain('已设置')
    expect(secretRow?.textContent).not.toContain('(set)')
    expect(secretRow?.textContent).toContain('机密')
    const keysRow = within(config).getByText('PROXY_API_KEYS').closest('tr')
    expect(keysRow?.textContent).toContain('2 个密钥')

    const baseUrl = `${window.location.origin}/v1`
    const snippets = screen.getByRole('region', { name: '接入示例' })
    const codes = Object.fromEntries(
      [...snippets.querySelectorAll('figure')].map((figure) => [
        figure.querySelector('figcaption span')?.textContent,
        figure.querySelector('pre')?.textContent ?? '',
      ]),
    )
    expect(Object.keys(codes)).toEqual(['curl', 'Python', 'JavaScript'])
    expect(codes.curl).toContain(`curl ${baseUrl}/chat/completions`)
    expect(codes.Python).toContain(`OpenAI(base_url="${baseUrl}"`)
    expect(codes.JavaScript).toContain(`new OpenAI({ baseURL: '${baseUrl}'`)
    for (const code of Object.values(codes)) {
      // A placeholder where the client key goes; never the admin login of this session.
      expect(code).toContain('sk-sfp-...')
      expect(code).not.toContain('secret')
      expect(code).not.toContain(basicAuthorization('admin', 'secret').slice('Basic '.length))
    }
    expect(within(snippets).getByRole('button', { name: '复制 Python 示例' })).toBeTruthy()
  })
})

describe('SettingsPage effective configuration', () => {
  /** The table's rows as [heading or name, meaning] pairs, in the order shown. */
  function rows(config: HTMLElement) {
    return [...config.querySelectorAll('tbody tr')].map((row) => {
      const cells = [...row.querySelectorAll('th, td')].map((cell) => cell.textContent ?? '')
      return cells.length === 1 ? [cells[0]] : [cells[0], cells[2]]
    })
  }

  it('groups the settings under their group’s heading with the answer’s Chinese descriptions', async () => {
    server()
    renderSignedIn(<SettingsPage />)
    const config = screen.getByRole('region', { name: '当前生效的配置' })
    await within(config).findByText('ADMIN_PASSWORD')
    expect(rows(config)).toEqual([
      ['服务'],
      ['PORT', '监听端口'],
      ['HOST', '监听地址'],
      ['安全与访问'],
      ['ADMIN_PASSWORD', '管理员密码（用户 admin）'],
      ['PROXY_API_KEYS', '环境变量中的客户端密钥'],
    ])
    expect(within(config).getByRole('columnheader', { name: '服务' })).toBeTruthy()
  })

  it('shows the English description in English, its backticks as code', async () => {
    server()
    renderSignedIn(<SettingsPage />, { language: 'en' })
    const config = screen.getByRole('region', { name: 'Effective configuration' })
    const row = (await within(config).findByText('ADMIN_PASSWORD')).closest('tr') as HTMLElement
    expect(row.textContent).toContain('admin password (user admin)')
    expect([...row.querySelectorAll('td:last-child code')].map((code) => code.textContent)).toEqual(
      ['admin'],
    )
    expect(rows(config).map((cells) => cells[0])).toEqual([
      'Server',
      'PORT',
      'HOST',
      'Security and access',
      'ADMIN_PASSWORD',
      'PROXY_API_KEYS',
    ])
    // In English, the placeholders read as the server's English.
    expect(row.textContent).toContain('(set)')
  })
})
