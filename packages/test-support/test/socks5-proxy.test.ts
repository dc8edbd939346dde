import { request, Socks5ProxyAgent } from 'undici'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type Socks5Proxy, startSocks5Proxy } from '../src/index.js'
import { type AddressEcho, startAddressEcho } from './helpers/address-echo.js'
import { openRaw, type RawClient } from './helpers/raw-socket.js'

const auth = { username: 'lane-user', password: 'p@ss:w/rd' }

let echo: AddressEcho
let proxy: Socks5Proxy
const cleanups: (() => Promise<unknown> | unknown)[] = []

beforeEach(async () => {
  echo = await startAddressEcho()
  proxy = await startSocks5Proxy({ outgoingAddress: '127.0.0.3', auth })
})

afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup()
  await proxy.close()
  await echo.close()
})

function agent(credentials: { username?: string; password?: string } = auth): Socks5ProxyAgent {
  const made = new Socks5ProxyAgent(proxy.url, credentials)
  cleanups.push(() => made.destroy())
  return made
}

async function remoteAddressVia(dispatcher: Socks5ProxyAgent, url = echo.url): Promise<string> {
  const response = await request(url, { dispatcher })
  return response.body.text()
}

async function raw(): Promise<RawClient> {
  const client = await openRaw(proxy.port)
  cleanups.push(() => client.socket.destroy())
  return client
}

const credentials = (username: string, password: string) =>
  Buffer.concat([
    Buffer.from([0x01, username.length]),
    Buffer.from(username),
    Buffer.from([password.length]),
    Buffer.from(password),
  ])

/** CONNECT to 127.0.0.1:port (`command` 0x01) as raw bytes. */
const connectRequest = (port: number, command = 0x01) =>
  Buffer.from([0x05, command, 0x00, 0x01, 127, 0, 0, 1, port >> 8, port & 0xff])

/** Greeting and good credentials; resolves once the proxy accepted them. */
async function rawAuthenticated(): Promise<RawClient> {
  const client = await raw()
  client.socket.write(
    Buffer.concat([Buffer.from([0x05, 0x01, 0x02]), credentials('lane-user', 'p@ss:w/rd')]),
  )
  expect([...(await client.waitFor(4))]).toEqual([0x05, 0x02, 0x01, 0x00])
  return client
}

describe('SOCKS5 proxy', () => {
  it('tunnels to the target from the outgoing address', async () => {
    expect(await remoteAddressVia(agent())).toBe('127.0.0.3')
    expect(proxy.tunnels).toEqual([{ target: `127.0.0.1:${echo.port}`, at: expect.any(Number) }])
    expect(proxy.url).toBe(`socks5://127.0.0.1:${proxy.port}`)
    expect(proxy.urlWithAuth).toBe(`socks5://lane-user:p%40ss%3Aw%2Frd@127.0.0.1:${proxy.port}`)
  })

  it('resolves a domain name itself and records it as requested', async () => {
    expect(await remoteAddressVia(agent(), `http://localhost:${echo.port}`)).toBe('127.0.0.3')
    expect(proxy.tunnels.map((tunnel) => tunnel.target)).toEqual([`localhost:${echo.port}`])
  })

  // Raw bytes: undici's Socks5ProxyAgent sends `http://[::1]:port` as the domain name "[::1]".
  it('reaches an IPv6 target (ATYP 0x04) when no outgoing address is set', async () => {
    const echo6 = await startAddressEcho('::1')
    cleanups.push(() => echo6.close())
    await proxy.close()
    proxy = await startSocks5Proxy()
    const client = await raw()
    const loopback6 = [...Array(15).fill(0), 1]
    const port = [echo6.port >> 8, echo6.port & 0xff]
    client.socket.write(
      Buffer.from([0x05, 0x01, 0x00, 0x05, 0x01, 0x00, 0x04, ...loopback6, ...port]),
    )
    const reply = await client.waitFor(2 + 22)
    expect([...reply.subarray(0, 6)]).toEqual([0x05, 0x00, 0x05, 0x00, 0x00, 0x04])
    expect([...reply.subarray(6, 22)]).toEqual(loopback6)
    client.socket.write('GET / HTTP/1.1\r\nHost: echo\r\nConnection: close\r\n\r\n')
    await client.closed
    expect(client.received().toString('latin1')).toMatch(/\r\n\r\n::1$/)
    expect(proxy.tunnels.map((tunnel) => tunnel.target)).toEqual([`[::1]:${echo6.port}`])
  })

  it('needs no credentials when it has no auth', async () => {
    await proxy.close()
    proxy = await startSocks5Proxy({ outgoingAddress: '127.0.0.4' })
    expect(proxy.urlWithAuth).toBe(proxy.url)
    expect(await remoteAddressVia(agent({}))).toBe('127.0.0.4')
  })

  it('refuses wrong credentials (0x01) and clients offering no username/password (0xFF)', async () => {
    await expect(remoteAddressVia(agent({ ...auth, password: 'wrong' }))).rejects.toMatchObject({
      code: 'UND_ERR_SOCKS5_AUTH_FAILED',
    })
    await expect(remoteAddressVia(agent({}))).rejects.toMatchObject({
      code: 'UND_ERR_SOCKS5_AUTH_REJECTED',
    })
    expect(proxy.tunnels).toEqual([])
  })

  it('speaks the protocol in fragments: one byte at a time, BND.ADDR is the outgoing address', async () => {
    const client = await raw()
    await client.writeInPieces(Buffer.from([0x05, 0x02, 0x00, 0x02]))
    await client.writeInPieces(credentials('lane-user', 'p@ss:w/rd'))
    await client.writeInPieces(connectRequest(echo.port))
    const reply = await client.waitFor(4 + 10)
    expect([...reply.subarray(0, 8)]).toEqual([0x05, 0x02, 0x01, 0x00, 0x05, 0x00, 0x00, 0x01])
    expect([...reply.subarray(8, 12)]).toEqual([127, 0, 0, 3])
    client.socket.write('GET / HTTP/1.1\r\nHost: echo\r\nConnection: close\r\n\r\n')
    await client.closed
    expect(client.received().toString('latin1')).toMatch(/\r\n\r\n127\.0\.0\.3$/)
  })

  it('answers 0x07 to a command other than CONNECT, 0x05 when the target refuses', async () => {
    const bind = await rawAuthenticated()
    bind.socket.write(connectRequest(echo.port, 0x02))
    await bind.closed
    expect(bind.received()[5]).toBe(0x07)
    await echo.close()
    await expect(remoteAddressVia(agent())).rejects.toMatchObject({
      code: 'UND_ERR_SOCKS5_REPLY_5',
    })
  })

  it('answers 0x04 when a domain name does not resolve', async () => {
    await expect(remoteAddressVia(agent(), 'http://no-such-host.invalid:80')).rejects.toMatchObject(
      { code: 'UND_ERR_SOCKS5_REPLY_4' },
    )
  })

  it('mode refuse-auth: good credentials fail too', async () => {
    proxy.setMode('refuse-auth')
    await expect(remoteAddressVia(agent())).rejects.toMatchObject({
      code: 'UND_ERR_SOCKS5_AUTH_FAILED',
    })
  })

  it('mode refuse-connect: every CONNECT gets 0x05', async () => {
    proxy.setMode('refuse-connect')
    await expect(remoteAddressVia(agent())).rejects.toMatchObject({
      code: 'UND_ERR_SOCKS5_REPLY_5',
    })
  })

  it('mode reset: the CONNECT gets a TCP reset', async () => {
    proxy.setMode('reset')
    await expect(remoteAddressVia(agent())).rejects.toMatchObject({ code: 'ECONNRESET' })
  })

  // Raw socket only: undici's Socks5ProxyAgent waits a fixed 5 s and ignores an AbortSignal.
  it('mode hang: CONNECT is never answered', async () => {
    proxy.setMode('hang')
    const client = await rawAuthenticated()
    client.socket.write(connectRequest(echo.port))
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(client.received().length).toBe(4)
    expect(client.socket.destroyed).toBe(false)
  })

  it('kill() refuses connections until restart() listens on the same port again', async () => {
    const dispatcher = agent()
    expect(await remoteAddressVia(dispatcher)).toBe('127.0.0.3')
    const { port } = proxy
    await proxy.kill()
    expect(proxy.openSockets()).toBe(0)
    await expect(remoteAddressVia(dispatcher)).rejects.toMatchObject({ code: 'ECONNREFUSED' })
    await proxy.restart()
    expect(proxy.port).toBe(port)
    expect(await remoteAddressVia(dispatcher)).toBe('127.0.0.3')
  })

  it('close() leaves no open socket', async () => {
    expect(await remoteAddressVia(agent())).toBe('127.0.0.3')
    expect(proxy.openSockets()).toBe(2)
    await proxy.close()
    expect(proxy.openSockets()).toBe(0)
  })
})
