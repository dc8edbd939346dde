import { type SettingDeclaration, settingEntries } from './settings.js'

/**
 * The text derived from the settings declarations for files outside this package: the README
 * "Settings" table and the docker compose `environment:` lists. Pure string functions: the
 * `settings:readme` script writes them, and a test fails when a file differs from them.
 */

export const README_MARKERS = {
  start: '<!-- settings:start -->',
  end: '<!-- settings:end -->',
} as const

export const COMPOSE_MARKERS = { start: '# settings:start', end: '# settings:end' } as const

function defaultColumn(declaration: SettingDeclaration): string {
  if (declaration.default === undefined) return declaration.unsetMeans ?? 'empty'
  return declaration.default === '' ? 'empty' : `\`${declaration.default}\``
}

/** The README table: every setting in declaration order, its English description as meaning. */
export function renderSettingsTable(): string {
  const rows = settingEntries().map(
    ([name, declaration]) =>
      `| \`${name}\` | ${defaultColumn(declaration)} | ${declaration.description.en.replaceAll('|', '\\|')} |`,
  )
  return ['| name | default | meaning |', '| --- | --- | --- |', ...rows].join('\n')
}

/**
 * One `environment:` entry per setting, passing the host's value on with the declared default
 * (compose's `${NAME:-default}`), or the value fixed inside the image.
 */
export function renderComposeEnvironment(indent: string): string {
  const lines: string[] = []
  for (const [name, declaration] of settingEntries()) {
    if (declaration.container !== undefined) {
      lines.push(`${name}: ${declaration.container}`)
    } else if (declaration.emptyMeansNone === true) {
      lines.push('# No colon: an empty value set on purpose means "none", not the default.')
      lines.push(`${name}: \${${name}-${declaration.default ?? ''}}`)
    } else {
      lines.push(`${name}: \${${name}:-${declaration.default ?? ''}}`)
    }
  }
  return lines.map((line) => `${indent}${line}`).join('\n')
}

/**
 * Replaces the lines between the two marker lines (kept, each may go on with a note) with `body`;
 * throws without them.
 */
function replaceBetween(
  text: string,
  markers: { start: string; end: string },
  body: (indent: string) => string,
): string {
  const lines = text.split('\n')
  const start = lines.findIndex((line) => line.trim().startsWith(markers.start))
  const end = lines.findIndex((line, index) => index > start && line.trim().startsWith(markers.end))
  if (start === -1 || end === -1) {
    throw new Error(`the markers ${markers.start} and ${markers.end} are missing`)
  }
  const indent = /^\s*/.exec(lines[start] ?? '')?.[0] ?? ''
  return [...lines.slice(0, start + 1), body(indent), ...lines.slice(end)].join('\n')
}

export function updateReadme(text: string): string {
  return replaceBetween(text, README_MARKERS, () => renderSettingsTable())
}

export function updateCompose(text: string): string {
  return replaceBetween(text, COMPOSE_MARKERS, renderComposeEnvironment)
}

/** The files derived from the declarations, relative to the repository root. */
export const SETTINGS_DOC_FILES = [
  { path: 'README.md', update: updateReadme },
  { path: 'docker/docker-compose.yml', update: updateCompose },
  { path: 'docker/docker-compose.prod.yml', update: updateCompose },
] as const
