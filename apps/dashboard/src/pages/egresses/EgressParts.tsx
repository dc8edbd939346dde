import type { EgressView } from '@sfp/schemas'
import { useState } from 'react'
import { EgressStateBadge } from '../../components/EgressStateBadge.js'
import { GuardCountdown } from '../../components/GuardCountdown.js'
import { useI18n } from '../../i18n/I18nProvider.js'
import { useExplain } from '../../i18n/useExplain.js'
import { EgressLabelDialog } from './EgressLabelDialog.js'

/** The egress by name, with its id, kind, whether it is the built-in one, and its label editor. */
export function EgressTitle({
  egress,
  name,
  builtin,
  onUpdated,
}: {
  egress: EgressView
  name: string
  builtin: boolean
  onUpdated(egress: EgressView): void
}) {
  const { t } = useI18n()
  const [editing, setEditing] = useState(false)
  return (
    <>
      <span className="egress-title">
        <strong className="egress-title__name">{name}</strong>
        {builtin && (
          <span className="tag" title={t('egress.builtinNote')}>
            {t('egress.builtin')}
          </span>
        )}
      </span>
      <span className="cell-sub">
        #{egress.id} · {t(`egress.kind.${egress.kind}` as const)} ·{' '}
        <button
          type="button"
          className="link-button"
          onClick={() => setEditing(true)}
          aria-label={t('egress.editLabelFor', { name })}
        >
          {t('egress.editLabel')}
        </button>
      </span>
      {editing && (
        <EgressLabelDialog
          egress={egress}
          name={name}
          onUpdated={onUpdated}
          onClose={() => setEditing(false)}
        />
      )}
    </>
  )
}

/** The URL as the server shows it (a proxy's password as `***`), or this host's local address. */
export function EgressAddress({ egress }: { egress: EgressView }) {
  const { t } = useI18n()
  return (
    <>
      <code className="egress-url">{egress.url}</code>
      {egress.kind === 'direct' && (
        <span className="cell-sub">
          {egress.localAddress === null
            ? t('egress.thisHost')
            : t('egress.localAddress', { address: egress.localAddress })}
        </span>
      )}
    </>
  )
}

/**
 * The state badge, the server's reason (plain text) and, while blocked or down, the time left
 * until the block ends or the egress is tried again (by the server's clock).
 */
export function EgressStateInfo({
  egress,
  clockOffsetMs,
}: {
  egress: EgressView
  clockOffsetMs: number
}) {
  const { t } = useI18n()
  const reason = useExplain()(egress.stateExplanation, egress.stateReason)
  const until =
    egress.state === 'blocked'
      ? egress.blockedUntil
      : egress.state === 'down'
        ? egress.retryAt
        : null
  return (
    <>
      <EgressStateBadge state={egress.state} />
      {reason && <span className="cell-sub egress-reason">{reason}</span>}
      {until !== null && (
        <span className="cell-sub">
          <GuardCountdown
            until={until}
            clockOffsetMs={clockOffsetMs}
            showLabel
            label={t(
              egress.state === 'blocked' ? 'egress.blockedCountdown' : 'egress.retryCountdown',
            )}
            readyText={t('egress.retrySoon')}
          />
        </span>
      )}
    </>
  )
}
