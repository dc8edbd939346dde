import { fileURLToPath } from 'node:url'

/** The repository root (bench/ lives in it). */
export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url))

/** bench/: the workspace package `@sfp/bench`, where its dependencies (tsx...) are installed. */
export const BENCH_DIR = fileURLToPath(new URL('..', import.meta.url))
