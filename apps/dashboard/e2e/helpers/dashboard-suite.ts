import type { MockUpstream } from '@sfp/test-support/upstream'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest'
import { launchChromium, newDashboardContext } from './browser.js'
import { type BuiltServer, type BuiltServerOptions, startBuiltServer } from './built-server.js'
import { saveScreenshot } from './screenshots.js'
import { type AdminClient, createAdminClient } from './server-clients.js'
import { startUpstreamWithAccounts } from './upstream.js'

export const ADMIN_PASSWORD = 'e2e-admin-password-1234'
export const CLIENT_KEY = 'sk-sfp-e2e-client-key-0001'

/** What every test of a file gets: its own page, and the file's server, upstream and admin API. */
export interface DashboardSuite {
  readonly page: Page
  readonly serverUrl: string
  readonly upstream: MockUpstream
  readonly admin: AdminClient
}

interface FileState {
  upstream: MockUpstream
  server: BuiltServer
  browser: Browser
  admin: AdminClient
}

interface TestState {
  context: BrowserContext
  page: Page
  /** Uncaught exceptions in the page: a test that passes while the page throws is not passing. */
  pageErrors: Error[]
}

function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`${what} is only available inside a test`)
  return value
}

/**
 * Registers the hooks of one test file (or of the `describe` it is called in): one mock
 * upstream, one production server and one Chromium for it (stopped after it), and a fresh
 * browser context for each test. `prepareDataDir` fills the server's data folder first.
 */
export function useDashboardSuite(
  options: Pick<BuiltServerOptions, 'prepareDataDir'> = {},
): DashboardSuite {
  let file: FileState | undefined
  let test: TestState | undefined

  beforeAll(async () => {
    // Whatever started before a failure is stopped again, so a failed file leaves no process.
    const started: (() => Promise<void>)[] = []
    try {
      const upstream = await startUpstreamWithAccounts()
      started.push(() => upstream.close())
      const server = await startBuiltServer({
        upstreamUrl: upstream.url,
        adminPassword: ADMIN_PASSWORD,
        clientKey: CLIENT_KEY,
        ...options,
      })
      started.push(() => server.stop())
      const browser = await launchChromium()
      file = { upstream, server, browser, admin: createAdminClient(server.url, ADMIN_PASSWORD) }
    } catch (error) {
      for (const stop of started.reverse()) await stop().catch(() => undefined)
      throw error
    }
  })

  afterAll(async () => {
    if (!file) return
    // Browser first: its open status stream would otherwise hold the server's shutdown.
    await file.browser.close()
    try {
      await file.server.stop()
    } finally {
      await file.upstream.close()
    }
  })

  beforeEach(async () => {
    const { browser, server } = required(file, 'the server')
    const context = await newDashboardContext(browser, server.url)
    const page = await context.newPage()
    const pageErrors: Error[] = []
    page.on('pageerror', (error) => pageErrors.push(error))
    test = { context, page, pageErrors }
  })

  afterEach(async ({ task }) => {
    if (!test) return
    const { context, page, pageErrors } = test
    test = undefined
    // What the page looked like when the test failed is the first thing one wants to see.
    if (task.result?.state === 'fail') {
      await saveScreenshot(page, task.name, 'at-failure').catch(() => undefined)
    }
    await context.close()
    expect(pageErrors.map((error) => error.message)).toEqual([])
  })

  return {
    get page() {
      return required(test, 'the page').page
    },
    get serverUrl() {
      return required(file, 'the server').server.url
    },
    get upstream() {
      return required(file, 'the upstream').upstream
    },
    get admin() {
      return required(file, 'the admin client').admin
    },
  }
}
