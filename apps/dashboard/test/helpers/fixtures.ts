import type {
  ConfigViewSetting,
  EgressView,
  InstanceStatus,
  KeyEventView,
  KeyView,
  LaneStatus,
  LogEntry,
  StatusView,
} from '@sfp/schemas'

export const HOSTILE = '<img src=x onerror=alert(1)>'

/** The INSTANCE_ID of the instance answering the fixtures' statuses. */
export const SELF_INSTANCE_ID = 'sfp-a'

export function keyView(overrides: Partial<KeyView> = {}): KeyView {
  return {
    id: 1,
    label: null,
    maskedKey: 'sk-abcd…wxyz',
    status: 'active',
    isCurrent: false,
    balance: 12.5,
    balanceCheckedAt: '2025-05-14T10:00:00.000Z',
    spent: null,
    estimatedBalance: 12.5,
    callCount: 10,
    errorCount: 0,
    consecutiveErrors: 0,
    lastError: null,
    lastErrorDetail: null,
    lastUsedAt: null,
    cooldownUntil: null,
    rateLimitClass: null,
    blockedModels: [],
    createdAt: '2025-05-01T00:00:00.000Z',
    egressId: 1,
    ...overrides,
  }
}

/** One lane of the status: the built-in direct egress, using key #1. */
export function laneStatus(overrides: Partial<LaneStatus> = {}): LaneStatus {
  return {
    id: 1,
    label: null,
    state: 'up',
    dispatch: { concurrency: 1, inFlight: 0, queued: 0, queueMax: 100, oldestWaitMs: 0 },
    switchGuard: {
      policy: 'wait',
      minutes: 30,
      currentKeyId: 1,
      lastUsedKeyId: 1,
      lastUsedAt: null,
      lastSwitchAt: null,
      nextSwitchAllowedAt: null,
      blocked: null,
    },
    drivenBy: SELF_INSTANCE_ID,
    ...overrides,
  }
}

/** The instance answering (single mode's one entry), driving lane #1, seen just now. */
export function instanceStatus(overrides: Partial<InstanceStatus> = {}): InstanceStatus {
  return {
    id: SELF_INSTANCE_ID,
    address: '10.0.0.1:3000',
    startedAt: new Date(Date.now() - 60_000).toISOString(),
    lastSeenAt: new Date().toISOString(),
    lanes: [1],
    self: true,
    ...overrides,
  }
}

export function egressView(overrides: Partial<EgressView> = {}): EgressView {
  return {
    id: 1,
    label: null,
    kind: 'direct',
    url: 'direct',
    localAddress: null,
    enabled: true,
    state: 'up',
    stateReason: null,
    stateExplanation: null,
    blockedUntil: null,
    retryAt: null,
    currentKeyId: 1,
    lastUsedAt: null,
    nextSwitchAllowedAt: null,
    inFlight: 0,
    requestCount: 0,
    errorCount: 0,
    createdAt: '2025-05-01T00:00:00.000Z',
    ...overrides,
  }
}

export function statusView(overrides: Partial<StatusView> = {}): StatusView {
  return {
    dispatch: { concurrency: 1, inFlight: 0, queued: 0, queueMax: 100, oldestWaitMs: 0 },
    switchGuard: {
      policy: 'wait',
      minutes: 30,
      currentKeyId: 1,
      lastUsedKeyId: 1,
      lastUsedAt: null,
      lastSwitchAt: null,
      nextSwitchAllowedAt: null,
      blocked: null,
    },
    egresses: [laneStatus()],
    pool: {
      total: 1,
      byStatus: { active: 1, cooling: 0, insufficient: 0, invalid: 0, error: 0, disabled: 0 },
      totalBalance: 12.5,
      currentKeyId: 1,
    },
    mode: 'single',
    instances: [instanceStatus()],
    uptimeSeconds: 60,
    startedAt: new Date(Date.now() - 60_000).toISOString(),
    version: '0.1.0',
    ...overrides,
  }
}

export function logEntry(overrides: Partial<LogEntry> = {}): LogEntry {
  return {
    id: 1,
    time: '2025-05-14T10:00:00.000Z',
    requestId: 'req-1',
    clientKeyId: 2,
    upstreamKeyId: 1,
    egressId: 1,
    clientIp: '127.0.0.1',
    method: 'POST',
    path: '/v1/chat/completions',
    model: 'Qwen/Qwen2.5-7B-Instruct',
    stream: true,
    status: 200,
    upstreamStatus: 200,
    attempts: 1,
    queueWaitMs: 3,
    ttfbMs: 420,
    durationMs: 1800,
    promptTokens: 12,
    completionTokens: 30,
    totalTokens: 42,
    errorType: null,
    errorMessage: null,
    errorParams: null,
    cost: null,
    ...overrides,
  }
}

/** A key's state change (a failure streak by default), as `GET /key-events` lists it. */
export function keyEvent(overrides: Partial<KeyEventView> = {}): KeyEventView {
  return {
    id: 1,
    time: new Date().toISOString(),
    keyId: null,
    type: 'state',
    fromStatus: 'active',
    toStatus: 'error',
    reason: '5 failures in a row (last: network error: ECONNREFUSED)',
    explanation: null,
    ...overrides,
  }
}

/** `PORT` as `GET /config` shows it. */
export function settingView(overrides: Partial<ConfigViewSetting> = {}): ConfigViewSetting {
  return {
    name: 'PORT',
    value: 3000,
    secret: false,
    placeholder: null,
    group: 'server',
    description: { zh: '监听端口', en: 'listen port' },
    ...overrides,
  }
}
