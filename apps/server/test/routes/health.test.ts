import { describe, expect, it } from 'vitest'
import { buildTestApp, sqliteHandleOf } from '../helpers/test-app.js'

describe('health routes', () => {
  it('/healthz answers without auth', async () => {
    const { app } = await buildTestApp()
    const response = await app.inject({ method: 'GET', url: '/healthz' })
    expect(response.statusCode).toBe(200)
    expect(response.json()).toEqual({ status: 'ok' })
    expect(response.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/)
  })

  it('/readyz is ready once the database is open and migrated', async () => {
    const { app } = await buildTestApp()
    const response = await app.inject({ method: 'GET', url: '/readyz' })
    expect(response.statusCode).toBe(200)
    expect(response.json()).toEqual({ status: 'ready', database: true })
  })

  it('/readyz answers 503 when the database is not usable', async () => {
    const { app } = await buildTestApp()
    sqliteHandleOf(app).close()
    const response = await app.inject({ method: 'GET', url: '/readyz' })
    expect(response.statusCode).toBe(503)
    expect(response.json()).toEqual({ status: 'not_ready', database: false })
  })
})
