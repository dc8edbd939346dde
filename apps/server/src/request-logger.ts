import type { FastifyBaseLogger, FastifyServerOptions } from 'fastify'

type ChildLoggerFactory = NonNullable<FastifyServerOptions['childLoggerFactory']>

type Bindings = Parameters<ChildLoggerFactory>[1]
type ChildOptions = Parameters<ChildLoggerFactory>[2]
type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'

/**
 * Fastify's `childLoggerFactory`: the logger of a request, bound to its id, made the first time
 * something is logged for that request instead of when it arrives. A proxied request that
 * succeeds logs nothing at the default level (build-server.ts), yet pino's `child()` was made for
 * each one, ~3 µs of its time to first byte on a 2-core VM (bench/README.md "Seventh pass").
 * What a request does log is the same line, with the same bindings, as with Fastify's own.
 */
export const lazyRequestLogger: ChildLoggerFactory = (logger, bindings, options) =>
  new LazyChildLogger(logger, bindings, options)

class LazyChildLogger implements FastifyBaseLogger {
  #made: FastifyBaseLogger | undefined

  constructor(
    private readonly parent: FastifyBaseLogger,
    private readonly bindings: Bindings,
    private readonly options: ChildOptions,
  ) {}

  /** The real child, made once. */
  get #logger(): FastifyBaseLogger {
    this.#made ??= this.parent.child(this.bindings, this.options)
    return this.#made
  }

  get level(): string {
    return this.#made?.level ?? this.options.level ?? this.parent.level
  }

  set level(level: string) {
    this.#logger.level = level
  }

  fatal(...args: unknown[]): void {
    this.#log('fatal', args)
  }
  error(...args: unknown[]): void {
    this.#log('error', args)
  }
  warn(...args: unknown[]): void {
    this.#log('warn', args)
  }
  info(...args: unknown[]): void {
    this.#log('info', args)
  }
  debug(...args: unknown[]): void {
    this.#log('debug', args)
  }
  trace(...args: unknown[]): void {
    this.#log('trace', args)
  }
  silent(...args: unknown[]): void {
    this.#log('silent', args)
  }

  child(bindings: Bindings, options?: ChildOptions): FastifyBaseLogger {
    return this.#logger.child(bindings, options)
  }

  #log(level: Level, args: unknown[]): void {
    const logger = this.#logger
    ;(logger[level] as (...args: unknown[]) => void).apply(logger, args)
  }
}
