import type { FastifyBaseLogger, FastifyServerOptions } from 'fastify'

type ChildLoggerFactory = NonNullable<FastifyServerOptions['childLoggerFactory']>

type Bindings = Parameters<ChildLoggerFactory>[1]
type ChildOptions = Parameters<ChildLoggerFactory>[2]
const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
type Level = (typeof LEVELS)[number]

/**
 * Fastify's `childLoggerFactory`: the logger of a request, bound to its id, made the first time
 * something is logged for that request instead of when it arrives. A proxied request that
 * succeeds logs nothing at the default level (build-server.ts), yet pino's `child()` was made for
 * each one, ~3 µs of its time to first byte on a 2-core VM (bench/README.md "Seventh pass").
 * What a request does log is the same line, with the same bindings, as with Fastify's own.
 */
export const lazyRequestLogger: ChildLoggerFactory = (logger, bindings, options) =>
  new LazyChildLogger(logger, bindings, options)

/** The level methods' types; LazyChildLogger's static block defines the methods themselves. */
const LevelMethods = class {} as new () => Pick<FastifyBaseLogger, Level>

class LazyChildLogger extends LevelMethods implements FastifyBaseLogger {
  #made: FastifyBaseLogger | undefined

  constructor(
    private readonly parent: FastifyBaseLogger,
    private readonly bindings: Bindings,
    private readonly options: ChildOptions,
  ) {
    super()
  }

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

  child(bindings: Bindings, options?: ChildOptions): FastifyBaseLogger {
    return this.#logger.child(bindings, options)
  }

  // One method per level, each handing its arguments to the real child's.
  static {
    for (const level of LEVELS) {
      Object.defineProperty(LazyChildLogger.prototype, level, {
        value(this: LazyChildLogger, ...args: unknown[]) {
          const logger = this.#logger
          ;(logger[level] as (...args: unknown[]) => void).apply(logger, args)
        },
        writable: true,
        configurable: true,
      })
    }
  }
}
