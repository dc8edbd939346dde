import { useI18n } from '../i18n/I18nProvider.js'

/** "3 minutes ago", with the exact time in a tooltip and in `dateTime` for assistive tech. */
export function RelativeTime({ iso, now }: { iso: string | null; now?: number }) {
  const { t, format } = useI18n()
  if (iso === null) return <span className="muted">{t('common.never')}</span>
  return (
    <time dateTime={iso} title={format.fullDateTime(iso)}>
      {format.relative(iso, now)}
    </time>
  )
}
