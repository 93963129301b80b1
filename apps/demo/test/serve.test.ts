import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer, get, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DemoConfig } from '../src/demo-config.js'
import { createDemoServer } from '../src/node/serve.js'

const config: DemoConfig = {
  tokenStore: 'memory',
  redisProblem: 'Redis at 127.0.0.1:6379 did not answer within 1500 ms',
  accessTokenTtl: 15,
  demoUser: { username: 'demo', password: 'demo horse battery' },
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)
    })
  })
}

describe('the demo server', () => {
  let base: string
  let root: string
  let page: string
  let web: Server
  let api: Server
  const seen: Array<{
    method: string | undefined
    url: string | undefined
    body: string
    forwardedFor: string | string[] | undefined
  }> = []

  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), 'demo-web-'))
    root = join(base, 'web')
    await mkdir(join(root, 'assets'), { recursive: true })
    await writeFile(join(root, 'index.html'), '<!doctype html><title>demo</title>')
    await writeFile(join(root, 'assets', 'app-1234.js'), 'console.log(1)')
    await writeFile(join(base, 'secret.txt'), 'outside the root')
    api = createServer((req, res) => {
      let body = ''
      req.on('data', (chunk: Buffer) => {
        body += chunk.toString()
      })
      req.on('end', () => {
        seen.push({
          method: req.method,
          url: req.url,
          body,
          forwardedFor: req.headers['x-forwarded-for'],
        })
        res.writeHead(401, {
          'content-type': 'application/json',
          'www-authenticate': 'Bearer realm="refresh-kit"',
        })
        res.end('{"error":"missing_token"}')
      })
    })
    const apiUrl = await listen(api)
    web = createDemoServer({ root, apiUrl, config })
    page = await listen(web)
  })
  afterAll(async () => {
    web.closeAllConnections()
    api.closeAllConnections()
    await new Promise((resolve) => web.close(resolve))
    await new Promise((resolve) => api.close(resolve))
    await rm(base, { recursive: true, force: true })
  })

  it('serves the page, and the page again for any other path', async () => {
    for (const path of ['/', '/index.html', '/some/where']) {
      const response = await fetch(`${page}${path}`)
      expect(response.status).toBe(200)
      expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8')
      expect(await response.text()).toContain('<title>demo</title>')
    }
  })

  it('serves hashed assets with a long cache lifetime', async () => {
    const response = await fetch(`${page}/assets/app-1234.js`)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('text/javascript; charset=utf-8')
    expect(response.headers.get('cache-control')).toContain('immutable')
  })

  it('never serves a file outside its root', async () => {
    // Raw paths: fetch would normalise the dots away before sending.
    for (const path of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt']) {
      const body = await new Promise<string>((resolve, reject) => {
        get(`${page}${path}`, { path }, (response) => {
          let text = ''
          response.on('data', (chunk: Buffer) => {
            text += chunk.toString()
          })
          response.on('end', () => resolve(text))
        }).on('error', reject)
      })
      expect(body).not.toContain('outside the root')
    }
  })

  it('publishes how the demo was started', async () => {
    const response = await fetch(`${page}/demo-config.json`)
    expect(response.headers.get('cache-control')).toBe('no-store')
    expect(await response.json()).toEqual(config)
  })

  it('forwards the API with method, path, query, body and status intact, on the page origin', async () => {
    const response = await fetch(`${page}/auth/sessions?x=1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': '6.6.6.6' },
      body: '{"a":1}',
    })
    expect(response.status).toBe(401)
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="refresh-kit"')
    expect(await response.json()).toEqual({ error: 'missing_token' })
    // The client address is the one the demo server saw, never one the client claims.
    expect(seen.at(-1)).toEqual({
      method: 'POST',
      url: '/auth/sessions?x=1',
      body: '{"a":1}',
      forwardedFor: '127.0.0.1',
    })
  })

  it('answers 502 service_unavailable when the token server is down', async () => {
    const down = createDemoServer({ root, apiUrl: 'http://127.0.0.1:9', config })
    const url = await listen(down)
    try {
      const response = await fetch(`${url}/healthz`)
      expect(response.status).toBe(502)
      expect(((await response.json()) as { error: string }).error).toBe('service_unavailable')
    } finally {
      down.closeAllConnections()
      await new Promise((resolve) => down.close(resolve))
    }
  })
})
