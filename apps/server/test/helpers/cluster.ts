/** DATABASE_URL with every connection's search_path on a test's own schema. */
export function urlOn(url: string, schema: string): string {
  const parsed = new URL(url)
  parsed.searchParams.set('options', `-c search_path=${schema}`)
  return parsed.toString()
}

/**
 * Polls `check` every 20 ms until it holds (a check that throws counts as not yet); resolves
 * with the time it took, ms. Fails after `withinMs`, naming `what`.
 */
export async function until(
  check: () => boolean | Promise<boolean>,
  withinMs: number,
  what: string,
): Promise<number> {
  const started = Date.now()
  while (
    !(await Promise.resolve()
      .then(check)
      .catch(() => false))
  ) {
    if (Date.now() - started > withinMs) throw new Error(`not within ${withinMs} ms: ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  return Date.now() - started
}
