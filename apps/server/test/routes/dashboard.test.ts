import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { buildTestApp, tempDataDir } from '../helpers/test-app.js'

const INDEX = '<!doctype html><title>SiliconFlow Proxy</title><div id="root"></div>'

function builtDashboard(): string {
  const publicDir = join(tempDataDir(), 'public')
  mkdirSync(join(publicDir, 'assets'), { recursive: true })
  writeFileSync(join(publicDir, 'index.html'), INDEX)
  writeFileSync(join(publicDir, 'assets', 'app-1234.js'), 'console.log(1)')
  return publicDir
}

const page = { accept: 'text/html,application/xhtml+xml' }

describe('dashboard and SPA fallback', () => {
  it('serves index.html at / with security headers and no caching', async () => {
    const { app } = await buildTestApp({}, { publicDir: builtDashboard() })
    const response = await app.inject({ method: 'GET', url: '/', headers: page })
    expect(response.statusCode).toBe(200)
    expect(response.body).toBe(INDEX)
    expect(response.headers['content-type']).toMatch(/^text\/html/)
    expect(response.headers['cache-control']).toBe('no-cache')
    expect(response.headers['content-security-policy']).toContain("default-src 'self'")
    expect(response.headers['x-frame-options']).toBe('DENY')
  })

  it('serves fingerprinted assets as immutable', async () => {
    const { app } = await buildTestApp({}, { publicDir: builtDashboard() })
    const response = await app.inject({ method: 'GET', url: '/assets/app-1234.js' })
    expect(response.statusCode).toBe(200)
    expect(response.headers['cache-control']).toBe('public, max-age=31536000, immutable')
  })

  it('answers client-side routes with index.html', async () => {
    const { app } = await buildTestApp({}, { publicDir: builtDashboard() })
    for (const url of ['/keys', '/logs/abc?x=1', '/settings/']) {
      const response = await app.inject({ method: 'GET', url, headers: page })
      expect(response.statusCode, url).toBe(200)
      expect(response.body, url).toBe(INDEX)
    }
  })

  it.each([
    ['GET', '/api/nothing-here', 404, 'not_found'],
    ['GET', '/api/manage', 404, 'not_found'],
    ['GET', '/healthz/extra', 404, 'not_found'],
    ['GET', '/metrics/x', 404, 'not_found'],
    ['POST', '/keys', 404, 'not_found'],
    // The proxy owns /v1 and /api/proxy entirely: without a client key, a JSON 401.
    ['GET', '/v1/unknown-thing', 401, 'invalid_client_key'],
    ['GET', '/api/proxy/models', 401, 'invalid_client_key'],
  ])('never shadows API paths: %s %s is JSON %i', async (method, url, status, code) => {
    const { app } = await buildTestApp({}, { publicDir: builtDashboard() })
    const response = await app.inject({ method: method as 'GET', url, headers: page })
    expect(response.statusCode).toBe(status)
    expect(response.headers['content-type']).toMatch(/^application\/json/)
    expect(response.json()).toMatchObject({ error: { code } })
  })

  it('keeps health routes working beside the dashboard', async () => {
    const { app } = await buildTestApp({}, { publicDir: builtDashboard() })
    const response = await app.inject({ method: 'GET', url: '/healthz', headers: page })
    expect(response.json()).toEqual({ status: 'ok' })
  })

  it('explains itself at / when the dashboard is not built', async () => {
    const { app } = await buildTestApp({}, { publicDir: join(tempDataDir(), 'missing') })
    const response = await app.inject({ method: 'GET', url: '/' })
    expect(response.statusCode).toBe(200)
    expect(response.body).toContain('pnpm build')
  })
})
