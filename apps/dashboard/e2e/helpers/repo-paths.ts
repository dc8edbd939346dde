import { fileURLToPath } from 'node:url'

/** The monorepo root, four folders up from `apps/dashboard/e2e/helpers`. */
export const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url))

/** The dashboard build the production server serves (made by `pnpm build`). */
export const BUILT_DASHBOARD_INDEX = `${REPO_ROOT}apps/server/public/index.html`

/** Screenshots land here (git-ignored); `.ci/run` prints the path after the tests. */
export const SCREENSHOT_DIR = `${REPO_ROOT}test-results/screenshots`
