import { ProxyAgent, request } from 'undici'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type HttpConnectProxy, startHttpConnectProxy } from '../src/index.js'
import { type AddressEcho, startAddressEcho } from './helpers/address-echo.js'
import { openRaw, type RawClient } from './helpers/raw-socket.js'

const auth = { username: 'lane-user', password: 'p@ss:w/rd %1' }
const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`

let echo: AddressEcho
let proxy: HttpConnectProxy
const agents: ProxyAgent[] = []
const raws: RawClient[] = []

beforeEach(async () => {
  echo = await startAddressEcho()
  proxy = await startHttpConnectProxy({ outgoingAddress: '127.0.0.2', auth })
})

afterEach(async () => {
  for (const raw of raws.splice(0)) raw.socket.destroy()
  await Promise.all(agents.splice(0).map((agent) => agent.destroy()))
  await proxy.close()
  await echo.close()
})

/** `null`: no credentials at all. */
function agent(token: string | null = basic(auth.username, auth.password)): ProxyAgent {
  const made = new ProxyAgent(token === null ? proxy.url : { uri: proxy.url, token })
  agents.push(made)
  return made
}

async function remoteAddressVia(dispatcher: ProxyAgent): Promise<string> {
  const response = await request(echo.url, { dispatcher })
  return response.body.text()
}

async function raw(): Promise<RawClient> {
  const client = await openRaw(proxy.port)
  raws.push(client)
  return client
}

/** The response head a raw CONNECT gets (the proxy closes after any refusal). */
async function rawConnect(headers = ''): Promise<string> {
  const client = await raw()
  client.socket.write(`CONNECT 127.0.0.1:${echo.port} HTTP/1.1\r\nHost: x\r\n${headers}\r\n`)
  await client.closed
  return client.received().toString('latin1')
}

describe('HTTP CONNECT proxy', () => {
  it('tunnels to the target from the outgoing address', async () => {
    expect(await remoteAddressVia(agent())).toBe('127.0.0.2')
    expect(proxy.tunnels).toEqual([{ target: `127.0.0.1:${echo.port}`, at: expect.any(Number) }])
    expect(proxy.url).toBe(`http://127.0.0.1:${proxy.port}`)
  })

  it('takes percent-encoded credentials from urlWithAuth', async () => {
    expect(proxy.urlWithAuth).toBe(
      `http://lane-user:p%40ss%3Aw%2Frd%20%251@127.0.0.1:${proxy.port}`,
    )
    const fromUrl = new ProxyAgent(proxy.urlWithAuth)
    agents.push(fromUrl)
    expect(await remoteAddressVia(fromUrl)).toBe('127.0.0.2')
  })

  it('refuses wrong or missing credentials with 407 and a Basic challenge', async () => {
    await expect(remoteAddressVia(agent(basic(auth.username, 'wrong')))).rejects.toThrow(/407/)
    await expect(remoteAddressVia(agent(null))).rejects.toThrow(/407/)
    const head = await rawConnect()
    expect(head).toMatch(/^HTTP\/1\.1 407 Proxy Authentication Required\r\n/)
    expect(head).toContain('Proxy-Authenticate: Basic realm="test"\r\n')
    expect(proxy.tunnels).toEqual([])
  })

  it('needs no credentials when it has no auth, and dials from the OS choice by default', async () => {
    await proxy.close()
    proxy = await startHttpConnectProxy()
    expect(proxy.urlWithAuth).toBe(proxy.url)
    expect(await remoteAddressVia(agent(null))).toBe('127.0.0.1')
  })

  it('answers 502 when the target refuses, and 405 to anything but CONNECT', async () => {
    await echo.close()
    const head = await rawConnect(`Proxy-Authorization: ${basic(auth.username, auth.password)}\r\n`)
    expect(head).toMatch(/^HTTP\/1\.1 502 Bad Gateway\r\n/)
    const response = await request(`${proxy.url}/anything`)
    expect(response.statusCode).toBe(405)
    await response.body.dump()
  })

  it('mode refuse-auth: 407 even with good credentials', async () => {
    proxy.setMode('refuse-auth')
    await expect(remoteAddressVia(agent())).rejects.toThrow(/407/)
    proxy.setMode('ok')
    expect(await remoteAddressVia(agent())).toBe('127.0.0.2')
  })

  it('mode bad-gateway: 502 to every CONNECT', async () => {
    proxy.setMode('bad-gateway')
    await expect(remoteAddressVia(agent())).rejects.toThrow(/502/)
  })

  it('mode reset: the CONNECT gets a TCP reset', async () => {
    proxy.setMode('reset')
    await expect(remoteAddressVia(agent())).rejects.toMatchObject({ code: 'ECONNRESET' })
    const client = await raw()
    client.socket.write(`CONNECT 127.0.0.1:${echo.port} HTTP/1.1\r\nHost: x\r\n\r\n`)
    expect(await client.closed).toBe('ECONNRESET')
    expect(client.received().length).toBe(0)
  })

  // Raw socket only: undici's ProxyAgent ignores both an AbortSignal and its own headersTimeout
  // while CONNECT is pending (README, "undici and a hung proxy").
  it('mode hang: CONNECT is never answered', async () => {
    proxy.setMode('hang')
    const client = await raw()
    client.socket.write(`CONNECT 127.0.0.1:${echo.port} HTTP/1.1\r\nHost: x\r\n\r\n`)
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(client.received().length).toBe(0)
    expect(client.socket.destroyed).toBe(false)
    expect(proxy.openSockets()).toBe(1)
    await proxy.kill()
    await client.closed
    expect(proxy.openSockets()).toBe(0)
  })

  it('kill() refuses connections until restart() listens on the same port again', async () => {
    const dispatcher = agent()
    expect(await remoteAddressVia(dispatcher)).toBe('127.0.0.2')
    const { port } = proxy
    await proxy.kill()
    expect(proxy.openSockets()).toBe(0)
    await expect(remoteAddressVia(dispatcher)).rejects.toMatchObject({ code: 'ECONNREFUSED' })
    await proxy.restart()
    expect(proxy.port).toBe(port)
    expect(await remoteAddressVia(dispatcher)).toBe('127.0.0.2')
  })

  it('close() leaves no open socket and cannot be undone', async () => {
    expect(await remoteAddressVia(agent())).toBe('127.0.0.2')
    // The keep-alive tunnel holds a client socket and a target socket.
    expect(proxy.openSockets()).toBe(2)
    await proxy.close()
    expect(proxy.openSockets()).toBe(0)
    await expect(proxy.restart()).rejects.toThrow(/closed for good/)
  })
})
