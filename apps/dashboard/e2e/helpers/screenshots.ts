import { mkdir } from 'node:fs/promises'
import type { Page } from 'playwright-core'
import { SCREENSHOT_DIR } from './repo-paths.js'

/** `make one key current` -> `make-one-key-current`: safe in file names on every system. */
export function fileNameSlug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
}

/** A full-page screenshot at `test-results/screenshots/<test-name>-<page>.png`. */
export async function saveScreenshot(
  page: Page,
  testName: string,
  pageName: string,
): Promise<void> {
  await mkdir(SCREENSHOT_DIR, { recursive: true })
  const path = `${SCREENSHOT_DIR}/${fileNameSlug(testName)}-${fileNameSlug(pageName)}.png`
  await page.screenshot({ path, fullPage: true })
}
