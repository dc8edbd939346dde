import { ConfigError, parseConfig } from '@sfp/schemas'
import { buildServer } from './build-server.js'
import { dotEnvLine, ignoredLineNotices, readDotEnv, withDotEnv } from './dotenv.js'
import { GatewayServer } from './http/gateway-server.js'

/**
 * The process entry: read settings (the only place that reads process.env), listen, and close
 * gracefully on SIGTERM/SIGINT: stop accepting, let in-flight responses finish within the grace
 * period, then close plugins (request log flush, database) and exit.
 *
 * Idle keep-alive connections never make shutdown wait: the gateway server closes them as soon as
 * no request is in progress (at once if none is), those that never sent a byte included, which
 * Node alone would leave open until the grace period ran out. While requests are in progress they
 * stay, and a request arriving on one is answered 503 shutting_down with `Connection: close`
 * (src/http/gateway-server.ts).
 */
async function main(): Promise<void> {
  // `.env` in the working directory, as the old siliconflowProxy read it (`pnpm start` runs in
  // the repository root). One line says which file was read, so a user can tell: at once, so a
  // setting it holds that stops boot is seen with it; without one, a log line once there is a
  // logger (a refusal to boot stays the only line printed).
  const cwd = process.cwd()
  const dotEnv = readDotEnv(cwd)
  if (dotEnv !== undefined) process.stdout.write(`${dotEnvLine(cwd, dotEnv)}\n`)
  for (const line of ignoredLineNotices(dotEnv)) console.warn(line)
  let config: ReturnType<typeof parseConfig>
  try {
    config = parseConfig(withDotEnv(process.env, dotEnv), {
      notice: (line) => console.warn(line),
    })
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message)
      process.exit(1)
    }
    throw error
  }

  const app = await buildServer(config)
  if (dotEnv === undefined) app.log.info({ cwd }, dotEnvLine(cwd, dotEnv))
  let closing = false

  async function shutdown(signal: NodeJS.Signals): Promise<void> {
    if (closing) return
    closing = true
    const inFlight = app.server instanceof GatewayServer ? app.server.requestsInFlight : undefined
    app.log.info({ signal, graceMs: config.shutdownGraceMs, inFlight }, 'shutting down')
    const force = setTimeout(() => {
      app.log.warn('grace period over: closing remaining connections')
      app.server.closeAllConnections()
    }, config.shutdownGraceMs)
    force.unref()
    try {
      await app.close()
      app.log.info('shut down cleanly')
      process.exit(0)
    } catch (error) {
      app.log.error({ err: error }, 'shutdown failed')
      process.exit(1)
    }
  }

  process.once('SIGTERM', (signal) => void shutdown(signal))
  process.once('SIGINT', (signal) => void shutdown(signal))

  await app.listen({ port: config.port, host: config.host })
}

/**
 * Boot refusals whose message says what is wrong and what to do (the key pool's ENCRYPTION_KEY
 * checks, a data folder this user cannot write, an unreadable `.env`): one line is clearer than
 * a stack trace.
 */
const EXPLAINED_BOOT_FAILURES = new Set([
  'SFP_ENCRYPTION_KEY_MISMATCH',
  'SFP_ENCRYPTION_KEY_MISSING',
  'SFP_DATA_DIR_NOT_WRITABLE',
  'SFP_DOTENV_UNREADABLE',
])

function bootFailureText(error: unknown): unknown {
  if (!(error instanceof Error)) return error
  if ('code' in error && EXPLAINED_BOOT_FAILURES.has(String(error.code))) return error.message
  return error.stack ?? error.message
}

main().catch((error: unknown) => {
  console.error(bootFailureText(error))
  process.exit(1)
})
