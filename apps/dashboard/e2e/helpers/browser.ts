import { type Browser, type BrowserContext, chromium } from 'playwright-core'

/** Debian's Chromium: Playwright cannot download its own browser on these machines. */
export const CHROMIUM_PATH = '/usr/bin/chromium'

/** Quiet and self-contained: no sandbox (containers), no GPU, no calls home, no first-run UI. */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-quic',
  '--disable-sync',
]

/** Any single wait in a test; well under the test timeout so the failure names the locator. */
const ACTION_TIMEOUT_MS = 15_000

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS })
}

/** A fresh context per test: no cookies, storage or session left over from the one before. */
export async function newDashboardContext(
  browser: Browser,
  baseURL: string,
): Promise<BrowserContext> {
  const context = await browser.newContext({
    baseURL,
    viewport: { width: 1280, height: 800 },
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
  })
  context.setDefaultTimeout(ACTION_TIMEOUT_MS)
  return context
}
