import { existsSync } from 'node:fs'
import { mkdir, rm } from 'node:fs/promises'
import { CHROMIUM_PATH } from './helpers/browser.js'
import { assertBuildExists } from './helpers/built-server.js'
import { SCREENSHOT_DIR } from './helpers/repo-paths.js'

/**
 * Once per run, before any file: fail at once (not once per file) when there is no build or no
 * browser, and start from an empty screenshot folder so it shows this run only.
 */
export default async function setup(): Promise<void> {
  assertBuildExists()
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `The dashboard e2e tests drive Debian's Chromium at ${CHROMIUM_PATH}, which is missing: ` +
        'apt-get install -y chromium fonts-wqy-microhei (.ci/run does this).',
    )
  }
  await rm(SCREENSHOT_DIR, { recursive: true, force: true })
  await mkdir(SCREENSHOT_DIR, { recursive: true })
}
