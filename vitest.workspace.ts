/**
 * The test projects of the workspace. Vitest 4 no longer reads this file by itself:
 * `vitest.config.ts` imports it as `test.projects`.
 */
export default [
  'packages/schemas',
  'packages/runtime',
  'packages/notify',
  'packages/cluster',
  'packages/db',
  'packages/key-pool',
  'packages/egress',
  'packages/dispatch',
  'packages/proxy',
  'packages/test-support',
  'apps/server',
  'apps/dashboard',
  'apps/dashboard/e2e',
]
