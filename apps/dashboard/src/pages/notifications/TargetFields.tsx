import {
  NOTIFICATION_CONDITIONS,
  NOTIFICATION_EVENTS,
  NOTIFICATION_KINDS,
  NOTIFICATION_LANGUAGES,
  type NotificationEvent,
  type NotificationKind,
  recoveryOf,
} from '@sfp/schemas'
import { type ReactNode, useId } from 'react'
import { useI18n } from '../../i18n/I18nProvider.js'
import {
  type DraftField,
  type DraftProblems,
  secretOf,
  TARGET_CHAT_ID_MAX,
  TARGET_LABEL_MAX,
  TARGET_SECRET_MAX,
  TARGET_URL_MAX,
  type TargetDraft,
} from './notification-draft.js'
import { eventName, kindName, secretWords, urlWords } from './notification-words.js'

interface TargetFieldsProps {
  draft: TargetDraft
  onChange(draft: TargetDraft): void
  /** Shown once the form was sent, then as the fields change. */
  problems: DraftProblems
  /** Editing a stored target: the kind stays, empty URL and secret keep the stored ones. */
  editing?: { hasSecret: boolean }
}

/**
 * The fields of a target, following its kind: webhook URL + optional secret, DingTalk / Feishu
 * robot URL + optional signing secret, WeCom robot URL, Telegram bot token + chat id + optional
 * API server; then the events, the language and a label. URL and secret are never prefilled.
 */
export function TargetFields({ draft, onChange, problems, editing }: TargetFieldsProps) {
  const { t } = useI18n()
  const id = useId()
  const set = (change: Partial<TargetDraft>) => onChange({ ...draft, ...change })
  const url = urlWords(draft.kind)
  const secret = secretWords(draft.kind)
  const secretKind = secretOf(draft.kind)

  const problemId = (field: DraftField) => `${id}-${field}-problem`
  const describedBy = (field: DraftField, ...ids: string[]) =>
    [...ids, problems[field] ? problemId(field) : ''].filter(Boolean).join(' ') || undefined
  const problemOf = (field: DraftField) => {
    const problem = problems[field]
    if (!problem) return null
    return (
      <p id={problemId(field)} className="field__error">
        {t(problem.key, problem.values)}
      </p>
    )
  }

  return (
    <>
      {editing === undefined && (
        <div className="field">
          <label htmlFor={`${id}-kind`}>{t('notifications.kind')}</label>
          <select
            id={`${id}-kind`}
            className="select"
            value={draft.kind}
            // One kind's URL and secret mean nothing to another: they start over.
            onChange={(event) =>
              set({ kind: event.target.value as NotificationKind, url: '', secret: '', chatId: '' })
            }
          >
            {NOTIFICATION_KINDS.map((kind) => (
              <option key={kind} value={kind}>
                {kindName(t, kind)}
              </option>
            ))}
          </select>
        </div>
      )}
      {draft.kind === 'telegram' && (
        <SecretField
          id={`${id}-secret`}
          draft={draft}
          set={set}
          editing={editing}
          describedBy={describedBy}
          problem={problemOf('secret')}
        />
      )}
      {draft.kind === 'telegram' && (
        <div className="field">
          <label htmlFor={`${id}-chat`}>{t('notifications.field.chatId')}</label>
          <input
            id={`${id}-chat`}
            className="input input--mono"
            autoComplete="off"
            spellCheck={false}
            maxLength={TARGET_CHAT_ID_MAX}
            aria-invalid={problems.chatId !== undefined}
            aria-describedby={describedBy('chatId', `${id}-chat-hint`)}
            value={draft.chatId}
            onChange={(event) => set({ chatId: event.target.value })}
          />
          {problemOf('chatId')}
          <p id={`${id}-chat-hint`} className="field__hint">
            {t('notifications.hint.chatId')}
          </p>
        </div>
      )}
      <div className="field">
        <label htmlFor={`${id}-url`}>{t(url.label)}</label>
        <input
          id={`${id}-url`}
          className="input input--mono"
          type="text"
          inputMode="url"
          autoComplete="off"
          autoCapitalize="off"
          autoCorrect="off"
          spellCheck={false}
          maxLength={TARGET_URL_MAX}
          aria-invalid={problems.url !== undefined}
          aria-describedby={describedBy('url', `${id}-url-hint`)}
          value={draft.url}
          onChange={(event) => set({ url: event.target.value })}
        />
        {problemOf('url')}
        <p id={`${id}-url-hint`} className="field__hint">
          {t(url.hint)}
          {editing !== undefined && <> {t('notifications.hint.keepUrl')}</>}
        </p>
      </div>
      {secret !== null && secretKind === 'optional' && (
        <SecretField
          id={`${id}-secret`}
          draft={draft}
          set={set}
          editing={editing}
          describedBy={describedBy}
          problem={problemOf('secret')}
        />
      )}
      <fieldset className="field notification-events" aria-describedby={describedBy('events')}>
        <legend>{t('notifications.field.events')}</legend>
        <div className="button-row">
          <button
            type="button"
            className="button button--small"
            onClick={() => set({ events: NOTIFICATION_EVENTS })}
          >
            {t('notifications.events.all')}
          </button>
          <button
            type="button"
            className="button button--small"
            onClick={() => set({ events: [] })}
          >
            {t('notifications.events.none')}
          </button>
        </div>
        <ul className="notification-events__list">
          {NOTIFICATION_CONDITIONS.map((condition) => (
            <li key={condition}>
              <EventBox event={condition} draft={draft} set={set} />
              <EventBox event={recoveryOf(condition)} draft={draft} set={set} />
            </li>
          ))}
        </ul>
        {problemOf('events')}
      </fieldset>
      <div className="field">
        <label htmlFor={`${id}-language`}>{t('notifications.field.language')}</label>
        <select
          id={`${id}-language`}
          className="select"
          value={draft.language}
          onChange={(event) => set({ language: event.target.value as TargetDraft['language'] })}
        >
          {NOTIFICATION_LANGUAGES.map((language) => (
            <option key={language} value={language}>
              {t(`notifications.language.${language}`)}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor={`${id}-label`}>{t('notifications.field.label')}</label>
        <input
          id={`${id}-label`}
          className="input"
          maxLength={TARGET_LABEL_MAX}
          value={draft.label}
          onChange={(event) => set({ label: event.target.value })}
        />
      </div>
    </>
  )
}

function SecretField({
  id,
  draft,
  set,
  editing,
  describedBy,
  problem,
}: {
  id: string
  draft: TargetDraft
  set(change: Partial<TargetDraft>): void
  editing: { hasSecret: boolean } | undefined
  describedBy(field: DraftField, ...ids: string[]): string | undefined
  problem: ReactNode
}) {
  const { t } = useI18n()
  const words = secretWords(draft.kind)
  if (words === null) return null
  const removable = editing?.hasSecret === true && secretOf(draft.kind) === 'optional'
  return (
    <div className="field">
      <label htmlFor={id}>{t(words.label)}</label>
      <input
        id={id}
        className="input input--mono"
        // Shown as dots and never remembered: a signing secret or bot token.
        type="password"
        autoComplete="off"
        spellCheck={false}
        maxLength={TARGET_SECRET_MAX}
        disabled={draft.removeSecret}
        aria-invalid={problem !== null}
        aria-describedby={describedBy('secret', `${id}-hint`)}
        value={draft.secret}
        onChange={(event) => set({ secret: event.target.value })}
      />
      {problem}
      <p id={`${id}-hint`} className="field__hint">
        {t(words.hint)}{' '}
        {editing === undefined
          ? t('notifications.hint.secretsStay')
          : t(editing.hasSecret ? 'notifications.hint.keepSecret' : 'notifications.hint.noSecret')}
      </p>
      {removable && (
        <label className="field--inline">
          <input
            type="checkbox"
            checked={draft.removeSecret}
            onChange={(event) => set({ removeSecret: event.target.checked, secret: '' })}
          />{' '}
          {t('notifications.removeSecret')}
        </label>
      )}
    </div>
  )
}

function EventBox({
  event,
  draft,
  set,
}: {
  event: NotificationEvent
  draft: TargetDraft
  set(change: Partial<TargetDraft>): void
}) {
  const { t } = useI18n()
  const checked = draft.events.includes(event)
  return (
    <label className="notification-events__event">
      <input
        type="checkbox"
        checked={checked}
        onChange={() =>
          set({
            events: checked
              ? draft.events.filter((other) => other !== event)
              : NOTIFICATION_EVENTS.filter(
                  (other) => other === event || draft.events.includes(other),
                ),
          })
        }
      />{' '}
      {eventName(t, event)}
    </label>
  )
}
