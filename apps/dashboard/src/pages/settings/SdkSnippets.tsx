import { useRef } from 'react'
import { CopyButton } from '../../components/CopyButton.js'
import { useI18n } from '../../i18n/I18nProvider.js'
import { type SdkSnippet, sdkSnippets } from './sdk-snippets.js'

export function SdkSnippets() {
  const { t } = useI18n()
  const baseUrl = `${window.location.origin}/v1`
  return (
    <section className="card" aria-labelledby="snippets-title">
      <h2 id="snippets-title" className="card__title">
        {t('settings.snippets')}
      </h2>
      <p>{t('settings.snippetsNote')}</p>
      <p>
        {t('settings.baseUrl')}: <code>{baseUrl}</code>
      </p>
      {sdkSnippets(baseUrl).map((snippet) => (
        <Snippet key={snippet.name} snippet={snippet} />
      ))}
    </section>
  )
}

function Snippet({ snippet }: { snippet: SdkSnippet }) {
  const { t } = useI18n()
  const pre = useRef<HTMLPreElement>(null)
  return (
    <figure className="snippet">
      <figcaption className="snippet__head">
        <span>{snippet.name}</span>
        <CopyButton
          text={snippet.code}
          label={t('settings.copySnippet', { name: snippet.name })}
          fallbackTarget={() => pre.current}
        />
      </figcaption>
      <pre ref={pre} className="snippet__code">
        <code>{snippet.code}</code>
      </pre>
    </figure>
  )
}
