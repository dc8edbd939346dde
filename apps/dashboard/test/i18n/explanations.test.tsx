import {
  EXPLANATION_CODES,
  type Explanation,
  type ExplanationCode,
  type ExplanationParams,
  explanationSchema,
} from '@sfp/schemas'
import { render, screen } from '@testing-library/react'
import { describe, expect, it, vi } from 'vitest'
import { KeyEventList } from '../../src/components/KeyEventList.js'
import { explanationCatalog, renderExplanation } from '../../src/i18n/explanations.js'
import { createFormatters } from '../../src/i18n/format.js'
import { I18nProvider } from '../../src/i18n/I18nProvider.js'
import { LANGUAGES } from '../../src/i18n/language.js'
import { KeysTable } from '../../src/pages/keys/KeysTable.js'
import { keyEvent, keyView } from '../helpers/fixtures.js'

const balance = { kind: 'balance', balance: 12.5, accountStatus: null } as const
const unknown = {
  kind: 'unknown',
  userInfoStatus: null,
  modelsStatus: null,
  problem: 'failed',
  error: 'ECONNREFUSED',
} as const

/** One example of every code: a mapped type, so a new code without an example fails tsc. */
const SAMPLES: { [Code in ExplanationCode]: ExplanationParams<Code> } = {
  added_by_admin: {},
  deleted_by_admin: {},
  disabled_by_admin: { reason: 'kept for the batch job' },
  enabled_by_admin: {},
  activated_by_admin: {},
  activation_override: { egressId: 2 },
  imported_from_legacy: {},
  request_succeeded: {},
  http_status: { status: 403 },
  upstream_error: { status: 503, detail: null },
  network_error: { detail: 'ECONNREFUSED' },
  rate_limited: { seconds: 30, strike: 1 },
  key_rejected: { check: { kind: 'invalid', userInfoStatus: 401, modelsStatus: null } },
  unauthorized_unconfirmed: { check: unknown },
  forbidden: { status: 403, check: balance },
  forbidden_passed: { status: 402, check: { ...balance, accountStatus: 'frozen' } },
  model_blocked: { status: 403, model: 'Pro/deepseek-ai/DeepSeek-R1', check: balance },
  key_failures: {
    count: 5,
    last: 'network_error',
    status: null,
    detail: 'ECONNREFUSED',
    check: unknown,
  },
  key_check: { trigger: 'on_demand', check: balance },
  account_status: { trigger: 'scheduled_refresh', status: 'frozen' },
  estimated_balance_low: { estimate: 0.42, threshold: 1 },
  balance_set_by_admin: { balance: 12.5 },
  key_switch: {
    egressId: 1,
    fromKeyId: 1,
    toKeyId: 2,
    current: { keyId: 1, status: 'cooling' },
    guardMinutes: 30,
  },
  check_switch: { egressId: 1, keyId: 3 },
  egress_disabled_by_admin: {},
  egress_direct_off: {},
  egress_down: { cause: 'connection_refused', code: 'ECONNREFUSED' },
  egress_blocked: { status: 503 },
  egress_blocked_legacy: { detail: null },
  guard_holds: {
    egressId: 1,
    minutes: 30,
    windowEndsAt: '2026-01-01T12:30:00.000Z',
    subject: { kind: 'move', fromKeyId: 1, toKeyId: 2, current: { keyId: 1, status: 'invalid' } },
    hint: 'switch_sooner',
  },
  key_cooling: { keyId: 1, until: '2026-01-01T12:30:00.000Z', guardUntil: null },
  no_usable_key: { current: { keyId: 1, status: 'error' }, nextAt: null },
  model_unavailable: { model: 'Pro/deepseek-ai/DeepSeek-R1' },
  egress_out: { egressId: 2, state: 'down', until: '2026-01-01T12:30:00.000Z' },
  no_egress: { outs: [{ egressId: 1, state: 'blocked' }], nextAt: null },
  no_lane_held: { instanceId: 'sfp-b', reason: 'elsewhere' },
  queue_full: { waiting: 100, retryAfterSeconds: 12 },
  queue_timeout: { waitedMs: 30_000 },
  shutting_down: {},
  body_too_large: { limitBytes: 52_428_800 },
  body_stalled: { idleMs: 30_000 },
  method_refused: { method: 'PUT', allowed: ['GET', 'POST', 'DELETE'] },
  sqlite_only: { feature: 'backup' },
}

const samples = Object.entries(SAMPLES).map(([code, params]) => ({ code, params }) as Explanation)
const CJK = /[\u4e00-\u9fff]/
/** ASCII words an English rendering may share with the Chinese one: names, codes, paths. */
const NOT_WORDS =
  /\b(?:HTTP|IP|KEY_SWITCH_POLICY|KEY_SWITCH_GUARD_MINUTES|EGRESS_DIRECT|ECONNREFUSED|SOCKS5|siliconflowProxy|immediate|false|v1|user|info|models|SQLite|PostgreSQL|DATABASE_URL|pg_dump)\b/g

describe('explanation catalog', () => {
  it('has an example of every code of the shared union, each valid against it', () => {
    expect(Object.keys(SAMPLES).sort()).toEqual([...EXPLANATION_CODES].sort())
    for (const sample of samples) expect(explanationSchema.safeParse(sample).success).toBe(true)
  })

  it('renders every code in zh and en: non-empty, Chinese in zh, different per language', () => {
    expect(Object.keys(explanationCatalog.zh).sort()).toEqual([...EXPLANATION_CODES].sort())
    expect(Object.keys(explanationCatalog.en).sort()).toEqual([...EXPLANATION_CODES].sort())
    for (const sample of samples) {
      const [zh, en] = LANGUAGES.map((language) =>
        renderExplanation(language, createFormatters(language), sample),
      )
      expect(zh, sample.code).toMatch(CJK)
      expect(en?.trim(), sample.code).not.toBe('')
      expect(en, sample.code).not.toMatch(CJK)
      // en has words of its own (beyond names and codes), so the two differ.
      expect(en?.replace(NOT_WORDS, '').match(/[A-Za-z]{2,}/), sample.code).not.toBeNull()
      expect(zh, sample.code).not.toBe(en)
    }
  })

  it('leaves no English sentence in the Chinese rendering', () => {
    for (const sample of samples) {
      const zh = renderExplanation('zh', createFormatters('zh'), sample)
      const words = zh.replace(NOT_WORDS, '').match(/[A-Za-z]{3,}/g) ?? []
      // Only what the params carry (upstream codes, account status words) may stay ASCII.
      const params = JSON.stringify(sample.params)
      for (const word of words) expect(params, `${sample.code}: ${word}`).toContain(word)
    }
  })

  it('formats balances in the reader locale', () => {
    const explained: Explanation = {
      code: 'key_check',
      params: { trigger: 'on_demand', check: balance },
    }
    expect(renderExplanation('zh', createFormatters('zh'), explained)).toBe('手动检查：余额 ¥12.50')
    expect(renderExplanation('en', createFormatters('en'), explained)).toBe(
      'On-demand check: balance CN¥12.50',
    )
  })
})

describe('the refusal of an instance that drives no usable lane', () => {
  it('says why in both languages: other instances drive them, or the database is out of reach', () => {
    const render = (language: 'zh' | 'en', reason: 'elsewhere' | 'database') =>
      renderExplanation(language, createFormatters(language), {
        code: 'no_lane_held',
        params: { instanceId: 'sfp-b', reason },
      })
    expect(render('zh', 'elsewhere')).toBe(
      '实例 sfp-b 没有驱动任何可用的出口：它们都由其他实例驱动；负载均衡可以把请求交给那些实例',
    )
    expect(render('en', 'elsewhere')).toBe(
      'Instance sfp-b drives none of the usable egresses: other instances drive them all; the load balancer may send the request to one of them',
    )
    expect(render('zh', 'database')).toBe(
      '实例 sfp-b 连不上数据库（PostgreSQL），它持有的出口租约已失效，在能续约之前不会经任何出口发送请求',
    )
    expect(render('en', 'database')).toBe(
      'Instance sfp-b cannot reach its database (PostgreSQL): its egress leases lapsed, and it sends through no egress until it can renew them',
    )
  })
})

describe('the guard refusal', () => {
  it('shows the window end in the reader locale and zone, never the raw ISO time', () => {
    const explained: Explanation = { code: 'guard_holds', params: SAMPLES.guard_holds }
    for (const language of LANGUAGES) {
      const format = createFormatters(language)
      const text = renderExplanation(language, format, explained)
      expect(text).toContain(format.dateTime(SAMPLES.guard_holds.windowEndsAt))
      expect(text).not.toContain('2026-01-01T12:30:00.000Z')
    }
    expect(renderExplanation('zh', createFormatters('zh'), explained)).toMatch(
      /^出口 #1 的切换保护暂不允许从密钥 #1 换到密钥 #2（密钥 #1 无效）/,
    )
  })
})

describe('explanations in the pages', () => {
  it('key events show the code in Chinese, the English text only for old events', () => {
    render(
      <I18nProvider initialLanguage="zh">
        <KeyEventList
          events={[
            keyEvent({
              id: 2,
              explanation: { code: 'key_failures', params: SAMPLES.key_failures },
            }),
            keyEvent({ fromStatus: null, toStatus: 'disabled', reason: 'stored before codes' }),
          ]}
          showKey={false}
        />
      </I18nProvider>,
    )
    expect(
      screen.getByText(
        '连续失败 5 次（最后一次：网络错误 ECONNREFUSED），随后检查：余额未知（检查失败：ECONNREFUSED）',
      ),
    ).toBeTruthy()
    expect(screen.queryByText(/failures in a row/)).toBeNull()
    expect(screen.getByText('stored before codes')).toBeTruthy()
  })

  it('the keys table shows the last error in the chosen language', () => {
    // The table renders the rows in view only: give it a viewport.
    vi.spyOn(HTMLElement.prototype, 'clientHeight', 'get').mockReturnValue(600)
    vi.spyOn(HTMLElement.prototype, 'clientWidth', 'get').mockReturnValue(1200)
    const key = keyView({
      lastError: 'HTTP 429: rate limited (#1 in a row; cooling for 30 s)',
      lastErrorDetail: { code: 'rate_limited', params: { seconds: 30, strike: 1 } },
    })
    const selection = {
      ids: [],
      has: () => false,
      toggle: () => undefined,
      toggleAll: () => undefined,
      clear: () => undefined,
    }
    const { unmount } = render(
      <I18nProvider initialLanguage="zh">
        <KeysTable keys={[key]} selection={selection} onManage={() => undefined} />
      </I18nProvider>,
    )
    expect(screen.getByText('HTTP 429 限流（连续第 1 次），冷却 30 秒')).toBeTruthy()
    unmount()
    render(
      <I18nProvider initialLanguage="en">
        <KeysTable keys={[key]} selection={selection} onManage={() => undefined} />
      </I18nProvider>,
    )
    expect(screen.getByText('HTTP 429 rate limit (#1 in a row), cooling for 30 s')).toBeTruthy()
  })
})
