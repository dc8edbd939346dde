import { type MockUpstream, startMockUpstream } from '@sfp/test-support/upstream'

/**
 * Upstream keys the suite imports. Each has an account on the mock, so the proxy's balance checks
 * and chat calls succeed with them; any other key is answered 401 like the real service.
 */
export const UPSTREAM_KEYS = {
  first: 'sk-e2e-upstream-first-0000000001',
  second: 'sk-e2e-upstream-second-000000002',
  third: 'sk-e2e-upstream-third-0000000003',
} as const

export function startUpstreamWithAccounts(): Promise<MockUpstream> {
  return startMockUpstream({
    accounts: Object.fromEntries(
      Object.values(UPSTREAM_KEYS).map((key) => [
        key,
        { balance: '20.00', chargeBalance: '0.00', totalBalance: '20.00', status: 'normal' },
      ]),
    ),
  })
}
