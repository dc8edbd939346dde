import { type ConfigViewSetting, SETTING_GROUPS, type SettingGroup } from '@sfp/schemas'

/**
 * The settings table's shape. What each setting means comes with it in `GET /api/manage/config`
 * (declared once, in @sfp/schemas' settings table); nothing here knows a setting by name.
 */

export interface SettingSection {
  group: SettingGroup
  settings: ConfigViewSetting[]
}

/** The answer's settings by group, groups in their declared order, each keeping the answer's order. */
export function groupSettings(settings: readonly ConfigViewSetting[]): SettingSection[] {
  return SETTING_GROUPS.map((group) => ({
    group,
    settings: settings.filter((setting) => setting.group === group),
  })).filter((section) => section.settings.length > 0)
}

export interface DescriptionPiece {
  text: string
  code: boolean
}

/** A description split at its backticks (the README's inline code) into text and code pieces. */
export function descriptionPieces(text: string): DescriptionPiece[] {
  return text
    .split('`')
    .map((piece, index) => ({ text: piece, code: index % 2 === 1 }))
    .filter((piece) => piece.text !== '')
}
