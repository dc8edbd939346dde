import { z } from 'zod'

/**
 * The import of the old siliconflowProxy database (README "Moving from siliconflowProxy"): what
 * it brought over, what it left and why. Stored once in `settings`, shown once in the dashboard.
 */

/** Old tables left behind on purpose, named in the summary so nobody looks for them. */
export const LEGACY_TABLES_NOT_IMPORTED = ['api_usage', 'proxy_state'] as const

/** Why a row was left out, or imported with a change. */
export const LEGACY_NOTE_CODES = [
  /** An `api_keys` row without a key. */
  'empty_key',
  /** A key our key rules refuse (too short, too long, spaces or other characters). */
  'invalid_key',
  /** The same key twice in the old table, or already in our pool. */
  'duplicate_key',
  /** A status the old program never wrote: imported as `active`. */
  'unknown_status',
  /** A proxy without type, host or port. */
  'proxy_incomplete',
  /** A proxy whose host, port or credentials make no valid proxy URL. */
  'proxy_invalid',
  /** A proxy with the scheme, host and port of an egress already there. */
  'proxy_duplicate',
  /** An active IP block, but EGRESS_DIRECT=false: there is no direct egress to block. */
  'block_without_direct',
  /** ADMIN_PASSWORD too short to serve as a client key (fewer than 8 characters). */
  'client_key_too_short',
  /** ADMIN_PASSWORD is already a client key here. */
  'client_key_exists',
] as const
export const legacyNoteCodeSchema = z.enum(LEGACY_NOTE_CODES)
export type LegacyNoteCode = z.infer<typeof legacyNoteCodeSchema>

export const legacyImportNoteSchema = z.object({
  table: z.enum(['api_keys', 'proxy_config', 'ip_blacklist', 'ADMIN_PASSWORD']),
  /** The old row's id, or null (ADMIN_PASSWORD). */
  rowId: z.number().int().nullable(),
  /** What the row was, masked: never a key, password or client secret in full. */
  item: z.string(),
  code: legacyNoteCodeSchema,
  /** The same in English words, for logs and the command line. */
  reason: z.string(),
  /** True when the row was imported anyway (with the change the reason names). */
  imported: z.boolean(),
})
export type LegacyImportNote = z.infer<typeof legacyImportNoteSchema>

const count = z.number().int().nonnegative()

export const legacyImportSummarySchema = z.object({
  /** `boot`: found in DATA_DIR at start; `seed`: `pnpm import-seed <file>`. */
  via: z.enum(['boot', 'seed']),
  importedAt: z.iso.datetime(),
  keys: z.object({
    /** Rows in the old `api_keys`. */
    found: count,
    imported: count,
    byStatus: z.object({
      active: count,
      insufficient: count,
      error: count,
      disabled: count,
    }),
    /** Keys already in the pool or repeated in the old table (not imported again). */
    duplicates: count,
  }),
  egresses: z.object({
    /** Rows in the old `proxy_config`. */
    found: count,
    imported: count,
    enabled: count,
  }),
  /** The old program's active IP block, now a block of the direct egress; null when none. */
  directBlock: z.object({ until: z.iso.datetime(), reason: z.string() }).nullable(),
  /** Old blocks already over at the import: not imported. */
  expiredBlocks: count,
  /** ADMIN_PASSWORD as a client key; null when none was made. */
  clientKey: z.object({ id: z.number().int(), name: z.string() }).nullable(),
  notes: z.array(legacyImportNoteSchema),
  /** Notes beyond the ones listed (a broken table must not make a huge summary). */
  notesNotListed: count,
  notImported: z.array(z.enum(LEGACY_TABLES_NOT_IMPORTED)),
})
export type LegacyImportSummary = z.infer<typeof legacyImportSummarySchema>

/** `GET /api/manage/import`: the last import, or null; `dismissed` once the admin has seen it. */
export const legacyImportResponseSchema = z.object({
  summary: legacyImportSummarySchema.nullable(),
  dismissed: z.boolean(),
})
export type LegacyImportResponse = z.infer<typeof legacyImportResponseSchema>
