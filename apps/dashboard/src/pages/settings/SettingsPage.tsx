import { useAdminApi } from '../../auth/SessionProvider.js'
import { ErrorNotice } from '../../components/ErrorNotice.js'
import { useApiResource } from '../../hooks/useApiResource.js'
import { useI18n } from '../../i18n/I18nProvider.js'
import { AdminPasswordCard } from './AdminPasswordCard.js'
import { BackupCard } from './BackupCard.js'
import { PricesCard } from './PricesCard.js'
import { SdkSnippets } from './SdkSnippets.js'
import { descriptionPieces, groupSettings } from './setting-descriptions.js'
import './settings.css'

export function SettingsPage() {
  const { t, language } = useI18n()
  const api = useAdminApi()
  const config = useApiResource((signal) => api.config(signal), [api])
  return (
    <section className="page" aria-labelledby="settings-title">
      <h1 id="settings-title">{t('settings.title')}</h1>
      <SdkSnippets />
      <section className="card" aria-labelledby="config-title">
        <h2 id="config-title" className="card__title">
          {t('settings.config')}
        </h2>
        <p className="muted">{t('settings.configNote')}</p>
        <ErrorNotice error={config.error} />
        {config.loading && !config.data && <p className="muted">{t('common.loading')}</p>}
        {config.data && (
          <div className="table-scroll">
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">{t('settings.col.name')}</th>
                  <th scope="col">{t('settings.col.value')}</th>
                  <th scope="col">{t('settings.col.meaning')}</th>
                </tr>
              </thead>
              {groupSettings(config.data.settings).map(({ group, settings }) => (
                <tbody key={group}>
                  <tr className="settings-group">
                    <th scope="colgroup" colSpan={3}>
                      {t(`settings.group.${group}`)}
                    </th>
                  </tr>
                  {settings.map((setting) => (
                    <tr key={setting.name}>
                      <th scope="row">
                        <code>{setting.name}</code>
                      </th>
                      <td>
                        {setting.placeholder === null ? (
                          <code>{String(setting.value)}</code>
                        ) : (
                          <span className="muted">
                            {t(
                              `settings.placeholder.${setting.placeholder.kind}`,
                              setting.placeholder.kind === 'keys'
                                ? { count: setting.placeholder.count }
                                : undefined,
                            )}
                          </span>
                        )}
                        {setting.secret && <span className="tag">{t('settings.secret')}</span>}
                      </td>
                      <td>
                        {descriptionPieces(setting.description[language]).map((piece, index) =>
                          piece.code ? (
                            <code key={index}>{piece.text}</code>
                          ) : (
                            <span key={index}>{piece.text}</span>
                          ),
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              ))}
            </table>
          </div>
        )}
      </section>
      <PricesCard />
      <AdminPasswordCard />
      <BackupCard />
    </section>
  )
}
