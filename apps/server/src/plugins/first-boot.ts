import { SETTING } from '@sfp/db'
import fp from 'fastify-plugin'
import { hashPassword, randomToken } from '../password.js'

export interface FirstBootOptions {
  /** ADMIN_PASSWORD; when set nothing is generated for the admin. */
  adminPassword: string | undefined
  /** Writes a line to the operator's terminal. Never the logger: logs must not hold secrets. */
  announce: (line: string) => void
}

const RULE = '='.repeat(72)

/**
 * On the first boot, make the secrets the operator did not provide and show each exactly once.
 * Only hashes are stored, so a lost secret cannot be recovered, only replaced (README).
 */
export default fp<FirstBootOptions>(
  async (app, { adminPassword, announce }) => {
    const { settings } = app.database
    const lines: string[] = []

    if (
      adminPassword === undefined &&
      (await settings.get(SETTING.adminPasswordHash)) === undefined
    ) {
      const password = randomToken(20)
      await settings.set(SETTING.adminPasswordHash, await hashPassword(password))
      lines.push(`[SFP FIRST BOOT] 管理员密码 Admin password (user "admin"): ${password}`)
    }

    if ((await settings.get(SETTING.clientKeyBootstrapped)) === undefined) {
      // A key imported from siliconflowProxy's ADMIN_PASSWORD (legacy-import, registered before
      // client-keys) counts: its clients already have it, so none is generated beside it.
      if (app.clientKeys.count() === 0) {
        const { plaintext } = await app.clientKeys.create('default (first boot)')
        lines.push(`[SFP FIRST BOOT] 客户端密钥 Client API key (for /v1): ${plaintext}`)
      }
      await settings.set(SETTING.clientKeyBootstrapped, new Date().toISOString())
    }

    if (lines.length > 0) {
      announce(RULE)
      for (const line of lines) announce(line)
      announce(
        '[SFP FIRST BOOT] 仅显示一次，请立即保存。Shown once: store it now; only a hash is kept.',
      )
      announce(RULE)
    }
  },
  { name: 'first-boot', fastify: '5.x', dependencies: ['database', 'client-keys'] },
)
