import {
  type CheckTrigger,
  type Explanation,
  type ExplanationCode,
  type ExplanationParams,
  KEY_STATUS_LABELS,
  type KeyCheckSummary,
  type KeyStatus,
} from '@sfp/schemas'
import type { Formatters } from './format.js'
import type { Language } from './language.js'

/**
 * The server's explanations (key events, a key's last error, an egress's state, an error
 * answer's refusal) in the reader's language: one renderer per code and language. The renderers
 * are a mapped type over every code of the shared union, so a code without a Chinese or English
 * rendering fails the type check.
 */
export type ExplanationRenderers = {
  [Code in ExplanationCode]: (params: ExplanationParams<Code>, format: Formatters) => string
}

type Params<Code extends ExplanationCode> = ExplanationParams<Code>

/** Words each language needs inside several renderers. */
interface Parts {
  check(check: KeyCheckSummary, format: Formatters): string
  trigger: Record<CheckTrigger, string>
  status(status: string): string
  downCause: Record<Params<'egress_down'>['cause'], string>
}

const statusLabel = (language: Language) => (status: string) =>
  KEY_STATUS_LABELS[status as KeyStatus]?.[language] ?? status

const zhParts: Parts = {
  check(check, format) {
    switch (check.kind) {
      case 'balance':
        return `余额 ${format.money(check.balance)}${check.accountStatus === null ? '' : `，账户状态“${check.accountStatus}”`}`
      case 'invalid':
        return `密钥无效（${zhAnswered(check.userInfoStatus, check.modelsStatus)}）`
      case 'unknown':
        return `余额未知（${zhUnknown(check)}）`
    }
  },
  trigger: {
    on_demand: '手动检查',
    scheduled_refresh: '定时余额刷新',
    after_calls: '成功调用若干次后的余额检查',
  },
  status: statusLabel('zh'),
  downCause: {
    tunnel_refused: '代理拒绝建立隧道',
    socks_refused: 'SOCKS5 代理拒绝',
    connection_refused: '代理拒绝连接',
    timeout: '连接超时',
    failed: '出口连接失败',
  },
}

function zhAnswered(userInfo: number | null, models: number | null): string {
  const first = `/v1/user/info 返回 ${userInfo}`
  return models === null ? first : `${first}；/v1/models 返回 ${models}`
}

function zhUnknown(check: Extract<KeyCheckSummary, { kind: 'unknown' }>): string {
  switch (check.problem) {
    case 'failed':
      return `检查失败：${check.error ?? '网络错误'}`
    case 'no_json':
      return '/v1/user/info 返回 200 但内容不是 JSON'
    case 'no_balance':
      return '/v1/user/info 没有给出可读的余额'
    case 'status':
      return zhAnswered(check.userInfoStatus, check.modelsStatus)
  }
}

const enParts: Parts = {
  check(check, format) {
    switch (check.kind) {
      case 'balance':
        return `balance ${format.money(check.balance)}${check.accountStatus === null ? '' : `, account status "${check.accountStatus}"`}`
      case 'invalid':
        return `key invalid (${enAnswered(check.userInfoStatus, check.modelsStatus)})`
      case 'unknown':
        return `balance unknown (${enUnknown(check)})`
    }
  },
  trigger: {
    on_demand: 'On-demand check',
    scheduled_refresh: 'Scheduled balance refresh',
    after_calls: 'Balance check after successful calls',
  },
  status: statusLabel('en'),
  downCause: {
    tunnel_refused: 'The proxy refused the tunnel',
    socks_refused: 'The SOCKS5 proxy refused',
    connection_refused: 'The proxy refused the connection',
    timeout: 'Connect timeout',
    failed: 'The way out failed',
  },
}

function enAnswered(userInfo: number | null, models: number | null): string {
  const first = `/v1/user/info answered ${userInfo}`
  return models === null ? first : `${first}; /v1/models answered ${models}`
}

function enUnknown(check: Extract<KeyCheckSummary, { kind: 'unknown' }>): string {
  switch (check.problem) {
    case 'failed':
      return `check failed: ${check.error ?? 'network error'}`
    case 'no_json':
      return '/v1/user/info answered 200 without JSON'
    case 'no_balance':
      return '/v1/user/info sent no readable balance'
    case 'status':
      return enAnswered(check.userInfoStatus, check.modelsStatus)
  }
}

const code = (value: string | null) => (value === null ? '' : ` (${value})`)

const zh: ExplanationRenderers = {
  added_by_admin: () => '管理员添加',
  deleted_by_admin: () => '管理员删除',
  disabled_by_admin: ({ reason }) => (reason ? `管理员停用：${reason}` : '管理员停用'),
  enabled_by_admin: () => '管理员启用',
  activated_by_admin: () => '管理员激活',
  activation_override: ({ egressId }) =>
    egressId === null
      ? '管理员激活；目前没有已启用的出口可以使用它'
      : `管理员将它设为出口 #${egressId} 的当前密钥`,
  imported_from_legacy: () => '从 siliconflowProxy 导入',
  request_succeeded: () => '请求成功，说明密钥可用',
  http_status: ({ status }) => `上游返回 HTTP ${status}`,
  upstream_error: ({ status, detail }) => `上游返回 HTTP ${status}${detail ? `：${detail}` : ''}`,
  network_error: ({ detail }) => `网络错误：${detail}`,
  rate_limited: ({ seconds, strike, limit }) =>
    limit === 'day'
      ? `HTTP 429 达到每日限额，冷却至北京时间次日零点（${seconds} 秒）`
      : limit === 'hour'
        ? `HTTP 429 达到每小时限额，冷却至下一个整点（${seconds} 秒）`
        : `HTTP 429 限流（${strike === null ? '按上游 Retry-After' : `连续第 ${strike} 次`}），冷却 ${seconds} 秒`,
  key_rejected: ({ check }, format) =>
    `HTTP 401：密钥被上游拒绝（${zhParts.check(check, format)}）`,
  unauthorized_unconfirmed: ({ check }, format) =>
    `HTTP 401 未被确认（${zhParts.check(check, format)}），已原样返回给客户端`,
  forbidden: ({ status, check }, format) =>
    `上游返回 HTTP ${status}，随后检查：${zhParts.check(check, format)}`,
  forbidden_passed: ({ status, check }, format) =>
    `上游返回 HTTP ${status}，已原样返回给客户端（${zhParts.check(check, format)}）`,
  model_blocked: ({ status, model, check }, format) =>
    `请求模型 ${model} 时上游返回 HTTP ${status}，而余额正常或未知（${zhParts.check(check, format)}）：此密钥不能使用该模型（如未实名认证、Pro 模型），其他模型照常使用`,
  key_failures: ({ count, last, status, detail, check }, format) => {
    const lastText =
      last === 'network_error'
        ? `网络错误 ${detail ?? ''}`.trim()
        : `HTTP ${status}${detail ? `：${detail}` : ''}`
    return `连续失败 ${count} 次（最后一次：${lastText}），随后检查：${zhParts.check(check, format)}`
  },
  key_check: ({ trigger, check }, format) =>
    `${zhParts.trigger[trigger]}：${zhParts.check(check, format)}`,
  account_status: ({ status }) => `/v1/user/info 报告账户状态“${status}”`,
  balance_set_by_admin: ({ balance }, format) => `管理员将余额设为 ${format.money(balance)}`,
  estimated_balance_low: ({ estimate, threshold }, format) =>
    `上游未返回余额；估算余额 ${format.money(estimate)} 低于阈值 ${format.money(threshold)}`,
  key_switch: ({ egressId, fromKeyId, toKeyId, current, guardMinutes }) => {
    const move =
      fromKeyId === null ? `首次使用密钥 #${toKeyId}` : `密钥 #${fromKeyId} 换为密钥 #${toKeyId}`
    const was =
      current === null
        ? '此前没有在用的密钥'
        : `密钥 #${current.keyId} ${zhParts.status(current.status)}`
    const guard =
      guardMinutes === null
        ? ''
        : `；发生在 ${guardMinutes} 分钟切换保护窗口内（KEY_SWITCH_POLICY=immediate）`
    return `出口 #${egressId}：${move}（${was}）${guard}`
  },
  check_switch: ({ egressId, keyId }) => `余额检查经出口 #${egressId} 发送了密钥 #${keyId}`,
  egress_disabled_by_admin: () => '管理员停用',
  egress_direct_off: () => '已由 EGRESS_DIRECT=false 关闭',
  egress_down: (params) => `${zhParts.downCause[params.cause]}${code(params.code)}`,
  egress_blocked: ({ status }) =>
    `上游${status === null ? '' : `以 HTTP ${status} `}返回了封禁代码，出口 IP 被封`,
  egress_blocked_legacy: ({ detail }) =>
    `siliconflowProxy 记录的 IP 封禁${detail ? `：${detail}` : ''}`,
  guard_holds: ({ egressId, minutes, windowEndsAt, subject, hint }, format) => {
    const what =
      subject.kind === 'key'
        ? `密钥 #${subject.keyId}（上次使用的是密钥 #${subject.lastKeyId}）`
        : subject.kind === 'move'
          ? `从密钥 #${subject.fromKeyId} 换到密钥 #${subject.toKeyId}${subject.current === null ? '' : `（密钥 #${subject.current.keyId} ${zhParts.status(subject.current.status)}）`}`
          : subject.kind === 'elsewhere'
            ? `检查密钥 #${subject.keyId}（它刚经另一个出口使用过）`
            : `对密钥 #${subject.keyId} 的余额检查（上次使用的是密钥 #${subject.lastKeyId}）`
    const next =
      hint === 'switch_sooner'
        ? '如需更早切换，可设置 KEY_SWITCH_POLICY=immediate、调小 KEY_SWITCH_GUARD_MINUTES，或在面板中激活一个密钥。'
        : '可先将该密钥设为当前密钥（管理员激活），或设置 KEY_SWITCH_POLICY=immediate。'
    return `出口 #${egressId} 的切换保护暂不允许${what}：同一 IP 在 ${minutes} 分钟内使用两个不同密钥有被硅基流动封禁的风险。保护窗口于 ${format.dateTime(windowEndsAt)} 结束。${next}`
  },
  key_cooling: ({ keyId, until, guardUntil }, format) =>
    `密钥 #${keyId} 被硅基流动限流${until === null ? '' : `，冷却到 ${format.dateTime(until)}`}${guardUntil === null ? '' : `；切换保护到 ${format.dateTime(guardUntil)} 前不会换用其他密钥`}`,
  no_usable_key: ({ current, nextAt }, format) =>
    `当前没有可用的上游密钥（${current === null ? '没有在用的密钥' : `密钥 #${current.keyId} ${zhParts.status(current.status)}`}）；${nextAt === null ? '请添加或启用一个密钥' : `下一个密钥将于 ${format.dateTime(nextAt)} 可用`}`,
  model_unavailable: ({ model }) =>
    `没有密钥可以使用模型 ${model}：上游拒绝了每个可用密钥使用它（如未实名认证，或该模型的权限规则）。请换用其他模型，或添加可以使用它的密钥`,
  egress_out: ({ egressId, state, until }, format) =>
    `出口 #${egressId}${state === 'blocked' ? ' 的 IP 被封' : ' 不通'}${until === null ? '' : `，到 ${format.dateTime(until)}`}`,
  no_egress: ({ outs, nextAt }, format) =>
    `没有出口能连到硅基流动：${outs.length === 0 ? '没有已启用的出口' : outs.map((out) => `出口 #${out.egressId}${out.state === 'blocked' ? ' IP 被封' : ' 不通'}`).join('；')}${nextAt === null ? '' : `；最早于 ${format.dateTime(nextAt)} 恢复`}`,
  no_lane_held: ({ instanceId, reason }) =>
    reason === 'database'
      ? `实例 ${instanceId} 连不上数据库（PostgreSQL），它持有的出口租约已失效，在能续约之前不会经任何出口发送请求`
      : `实例 ${instanceId} 没有驱动任何可用的出口：它们都由其他实例驱动；负载均衡可以把请求交给那些实例`,
  queue_full: ({ waiting, retryAfterSeconds, clientShare }, format) =>
    clientShare === undefined
      ? `上游排队已满（${format.number(waiting)} 个请求在等待），请 ${format.number(retryAfterSeconds)} 秒后再试`
      : `该客户端密钥的排队名额已满（它有 ${format.number(waiting)} 个请求在等待，最多 ${format.number(clientShare)} 个），请 ${format.number(retryAfterSeconds)} 秒后再试`,
  queue_timeout: ({ waitedMs }, format) => `排队 ${format.duration(waitedMs)} 仍没有空闲的上游通道`,
  shutting_down: () => '服务正在关闭，请稍后再试',
  body_too_large: ({ limitBytes }, format) =>
    `请求体超过了 ${format.number(limitBytes)} 字节的上限`,
  body_stalled: ({ idleMs }, format) =>
    `请求体中断了 ${format.duration(idleMs)} 没有到达，未向上游发送任何内容`,
  method_refused: ({ method, allowed }) =>
    `代理不转发 ${method} 请求，只转发 ${allowed.join('、')}`,
  sqlite_only: () =>
    '备份下载的是 SQLite 数据库文件；已设置 DATABASE_URL，数据在 PostgreSQL 中，请用 pg_dump 备份',
}

const en: ExplanationRenderers = {
  added_by_admin: () => 'Added by the admin',
  deleted_by_admin: () => 'Deleted by the admin',
  disabled_by_admin: ({ reason }) =>
    reason ? `Disabled by the admin: ${reason}` : 'Disabled by the admin',
  enabled_by_admin: () => 'Enabled by the admin',
  activated_by_admin: () => 'Activated by the admin',
  activation_override: ({ egressId }) =>
    egressId === null
      ? 'Activated by the admin; no egress is enabled to use it'
      : `Made the key in use on egress #${egressId} by the admin`,
  imported_from_legacy: () => 'Imported from siliconflowProxy',
  request_succeeded: () => 'A request succeeded, which proves the key works',
  http_status: ({ status }) => `Upstream answered HTTP ${status}`,
  upstream_error: ({ status, detail }) =>
    `Upstream answered HTTP ${status}${detail ? `: ${detail}` : ''}`,
  network_error: ({ detail }) => `Network error: ${detail}`,
  rate_limited: ({ seconds, strike, limit }) =>
    limit === 'day'
      ? `HTTP 429 daily limit reached, cooling until midnight China time (${seconds} s)`
      : limit === 'hour'
        ? `HTTP 429 hourly limit reached, cooling until the next full hour (${seconds} s)`
        : `HTTP 429 rate limit (${strike === null ? 'Retry-After from upstream' : `#${strike} in a row`}), cooling for ${seconds} s`,
  key_rejected: ({ check }, format) =>
    `HTTP 401: upstream rejected the key (${enParts.check(check, format)})`,
  unauthorized_unconfirmed: ({ check }, format) =>
    `HTTP 401 not confirmed (${enParts.check(check, format)}); passed through to the client`,
  forbidden: ({ status, check }, format) =>
    `Upstream answered HTTP ${status}, then the check said: ${enParts.check(check, format)}`,
  forbidden_passed: ({ status, check }, format) =>
    `Upstream answered HTTP ${status}, passed through to the client (${enParts.check(check, format)})`,
  model_blocked: ({ status, model, check }, format) =>
    `Upstream answered HTTP ${status} for model ${model} while the balance was fine or unknown (${enParts.check(check, format)}): this key cannot use that model (real-name verification, Pro models); it keeps serving the others`,
  key_failures: ({ count, last, status, detail, check }, format) => {
    const lastText =
      last === 'network_error'
        ? `network error ${detail ?? ''}`.trim()
        : `HTTP ${status}${detail ? `: ${detail}` : ''}`
    return `${count} failures in a row (last: ${lastText}), then the check said: ${enParts.check(check, format)}`
  },
  key_check: ({ trigger, check }, format) =>
    `${enParts.trigger[trigger]}: ${enParts.check(check, format)}`,
  account_status: ({ status }) => `/v1/user/info reports the account status "${status}"`,
  balance_set_by_admin: ({ balance }, format) => `Balance set to ${format.money(balance)} by admin`,
  estimated_balance_low: ({ estimate, threshold }, format) =>
    `No balance from upstream; the estimated balance ${format.money(estimate)} is below ${format.money(threshold)}`,
  key_switch: ({ egressId, fromKeyId, toKeyId, current, guardMinutes }) => {
    const move =
      fromKeyId === null ? `first use of key #${toKeyId}` : `key #${fromKeyId} → key #${toKeyId}`
    const was =
      current === null
        ? 'no key was in use'
        : `key #${current.keyId} is ${enParts.status(current.status)}`
    const guard =
      guardMinutes === null
        ? ''
        : `; inside the ${guardMinutes}-minute switch guard window (KEY_SWITCH_POLICY=immediate)`
    return `Egress #${egressId}: ${move} (${was})${guard}`
  },
  check_switch: ({ egressId, keyId }) =>
    `A balance check sent key #${keyId} through egress #${egressId}`,
  egress_disabled_by_admin: () => 'Disabled by the admin',
  egress_direct_off: () => 'Turned off by EGRESS_DIRECT=false',
  egress_down: (params) => `${enParts.downCause[params.cause]}${code(params.code)}`,
  egress_blocked: ({ status }) =>
    `Upstream answered${status === null ? '' : ` HTTP ${status}`} with a block code: the egress IP is blocked`,
  egress_blocked_legacy: ({ detail }) =>
    `IP block recorded by siliconflowProxy${detail ? `: ${detail}` : ''}`,
  guard_holds: ({ egressId, minutes, windowEndsAt, subject, hint }, format) => {
    const what =
      subject.kind === 'key'
        ? `key #${subject.keyId} while key #${subject.lastKeyId} was used last`
        : subject.kind === 'move'
          ? `moving from key #${subject.fromKeyId} to key #${subject.toKeyId}${subject.current === null ? '' : ` (key #${subject.current.keyId} is ${enParts.status(subject.current.status)})`}`
          : subject.kind === 'elsewhere'
            ? `a check of key #${subject.keyId}, used through another egress moments ago`
            : `a balance check of key #${subject.keyId} while key #${subject.lastKeyId} was used last`
    const next =
      hint === 'switch_sooner'
        ? 'To switch sooner set KEY_SWITCH_POLICY=immediate or lower KEY_SWITCH_GUARD_MINUTES, or activate a key.'
        : 'Make the key the key in use first (activate it), or set KEY_SWITCH_POLICY=immediate.'
    return `The key-switch guard of egress #${egressId} holds back ${what}: two different keys from one IP within ${minutes} minutes risk a ban by SiliconFlow. The window ends at ${format.dateTime(windowEndsAt)}. ${next}`
  },
  key_cooling: ({ keyId, until, guardUntil }, format) =>
    `Key #${keyId} is rate-limited by SiliconFlow${until === null ? '' : ` until ${format.dateTime(until)}`}${guardUntil === null ? '' : `; the switch guard holds other keys back until ${format.dateTime(guardUntil)}`}`,
  no_usable_key: ({ current, nextAt }, format) =>
    `No upstream key is usable now (${current === null ? 'no key in use' : `key #${current.keyId} is ${enParts.status(current.status)}`}); ${nextAt === null ? 'add a key or enable one' : `the next one becomes usable at ${format.dateTime(nextAt)}`}`,
  model_unavailable: ({ model }) =>
    `No key may use model ${model}: upstream refused it to every key that could serve (real-name verification, or the model's access rules). Use another model, or add a key that may use it`,
  egress_out: ({ egressId, state, until }, format) =>
    `Egress #${egressId} is ${state === 'blocked' ? 'blocked' : 'down'}${until === null ? '' : ` until ${format.dateTime(until)}`}`,
  no_egress: ({ outs, nextAt }, format) =>
    `No egress can reach SiliconFlow: ${outs.length === 0 ? 'no egress is enabled' : outs.map((out) => `egress #${out.egressId} is ${out.state}`).join('; ')}${nextAt === null ? '' : `; the earliest is back at ${format.dateTime(nextAt)}`}`,
  no_lane_held: ({ instanceId, reason }) =>
    reason === 'database'
      ? `Instance ${instanceId} cannot reach its database (PostgreSQL): its egress leases lapsed, and it sends through no egress until it can renew them`
      : `Instance ${instanceId} drives none of the usable egresses: other instances drive them all; the load balancer may send the request to one of them`,
  queue_full: ({ waiting, retryAfterSeconds, clientShare }, format) =>
    clientShare === undefined
      ? `The upstream queue is full (${format.number(waiting)} requests waiting); try again in ${format.number(retryAfterSeconds)} s`
      : `This client key's share of the upstream queue is full (${format.number(waiting)} of its requests waiting, at most ${format.number(clientShare)}); try again in ${format.number(retryAfterSeconds)} s`,
  queue_timeout: ({ waitedMs }, format) =>
    `No upstream slot became free after waiting ${format.duration(waitedMs)}`,
  shutting_down: () => 'The server is shutting down; try again shortly',
  body_too_large: ({ limitBytes }, format) =>
    `The request body is larger than the limit of ${format.number(limitBytes)} bytes`,
  body_stalled: ({ idleMs }, format) =>
    `The request body stopped arriving for ${format.duration(idleMs)}; nothing was sent upstream`,
  method_refused: ({ method, allowed }) =>
    `The proxy does not forward ${method} requests, only ${allowed.join(', ')}`,
  sqlite_only: () =>
    'The backup download copies the SQLite file; with DATABASE_URL the data is in PostgreSQL: back it up with pg_dump',
}

export const explanationCatalog: Record<Language, ExplanationRenderers> = { zh, en }

/** One explanation in `language`. */
export function renderExplanation(
  language: Language,
  format: Formatters,
  explained: Explanation,
): string {
  const render = explanationCatalog[language][explained.code] as (
    params: Explanation['params'],
    format: Formatters,
  ) => string
  return render(explained.params, format)
}
