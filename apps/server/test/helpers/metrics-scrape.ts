import type { FastifyInstance } from 'fastify'
import { type Exposition, parseExposition } from './prometheus-text.js'
import { basicAuth } from './test-app.js'

export interface Scrape extends Exposition {
  /** The exposition text as served, for scans over the whole of it. */
  text: string
  /**
   * The text with each line's value left out: names, labels and help texts, where a URL or a
   * secret could leak. For scans for digits, which a value may hold by chance (a heap size).
   */
  textWithoutValues: string
}

/** `GET /metrics` as Prometheus would (with the admin login), parsed. */
export async function scrapeMetrics(app: FastifyInstance, password?: string): Promise<Scrape> {
  const response = await app.inject({
    method: 'GET',
    url: '/metrics',
    headers: { authorization: basicAuth(password) },
  })
  if (response.statusCode !== 200) throw new Error(`/metrics answered ${response.statusCode}`)
  const text = response.body
  return { ...parseExposition(text), text, textWithoutValues: text.replace(/ [^ \n]+$/gm, '') }
}
