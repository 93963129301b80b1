// In real Chromium: a page holding `<base href>` to another origin. Relative
// requests go where the browser sends them, and that origin never receives the bearer.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import {
  authSettingsOf,
  createApp,
  createAuthService,
  createPasswordHasher,
  createRedisStore,
  createTokenKeys,
  loadConfig,
} from '@refresh-kit/server'
import { useTestRedis } from '@refresh-kit/testing'
import { build } from 'esbuild'
import { type Browser, chromium } from 'playwright-core'
import { afterAll, beforeAll, expect, it } from 'vitest'

const redis = useTestRedis('sdk-base-href')
const credentials = { username: `base.${Date.now()}`, password: 'correct horse battery staple' }

let browser: Browser
let own: Server
let other: Server
let ownURL: string
let otherURL: string
/** Every request the other origin received (preflights included), with the headers that matter. */
const seenByOther: { method: string; path: string; authorization?: string; preflight?: string }[] =
  []
let script = ''

const listen = async (server: Server) => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

beforeAll(async () => {
  const bundle = await build({
    entryPoints: [fileURLToPath(new URL('./base-page.ts', import.meta.url))],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    conditions: ['@refresh-kit/source'],
    write: false,
    logLevel: 'error',
  })
  script = bundle.outputFiles[0]?.text ?? ''

  const store = createRedisStore({ redis: redis.client(), keyPrefix: redis.keyPrefix })
  const tokens = createAuthService({
    ...authSettingsOf(loadConfig({})),
    store,
    keys: createTokenKeys({
      jwtSecret: 'sdk-base-href-secret-0123456789abcdefghijklmnopqrstuvwxyz',
    }),
    passwords: createPasswordHasher({ cost: 2 ** 10 }),
  })
  const api = createApp({ auth: tokens, store }).callback()
  other = createServer((req, res) => {
    const headers: IncomingHttpHeaders = req.headers
    seenByOther.push({
      method: req.method ?? '',
      path: req.url ?? '',
      ...(headers.authorization !== undefined && { authorization: headers.authorization }),
      ...(headers['access-control-request-headers'] !== undefined && {
        preflight: String(headers['access-control-request-headers']),
      }),
    })
    // Open CORS: whatever the page would send, the browser lets through, so it is seen here.
    res.writeHead(200, {
      'Access-Control-Allow-Origin': '*',
      'Access-Control-Allow-Headers': '*, Authorization',
      'Content-Type': 'application/json',
    })
    res.end('{}')
  })
  otherURL = await listen(other)
  own = createServer((req, res) => {
    if (req.url === '/') {
      res.writeHead(200, { 'Content-Type': 'text/html' })
      res.end(
        `<!doctype html><html><head><base href="${otherURL}/"></head><body>` +
          `<script src="${ownURL}/page.js"></script></body></html>`,
      )
      return
    }
    if (req.url === '/page.js') {
      res.writeHead(200, { 'Content-Type': 'text/javascript' })
      res.end(script)
      return
    }
    api(req, res)
  })
  ownURL = await listen(own)
  const registered = await fetch(`${ownURL}/auth/register`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(credentials),
  })
  expect(registered.status).toBe(201)
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  })
}, 120_000)

afterAll(async () => {
  await browser?.close()
  for (const server of [own, other]) {
    server?.closeAllConnections()
    await new Promise((resolve) => server?.close(resolve))
  }
})

it('a page with <base href> to another origin: relative requests go there without the bearer, token endpoints stay on the page origin', async () => {
  const page = await browser.newPage()
  await page.goto(`${ownURL}/`)
  await page.waitForFunction(() => typeof window.run === 'function')
  const result = await page.evaluate((c) => window.run(c), credentials)
  expect(result).toEqual({
    endpoints: [`${ownURL}/auth/login`, `${ownURL}/auth/refresh`],
    fetchRooted: 200,
    fetchRelative: 200,
    fetchOwnOrigin: 200,
    axiosRooted: 200,
    axiosRelative: 200,
    axiosOwnOrigin: 200,
  })
  // The relative requests did reach the other origin (the base works as the browser says)...
  expect(seenByOther.map((request) => `${request.method} ${request.path}`).sort()).toEqual([
    'GET /api/relative',
    'GET /api/relative-axios',
    'GET /api/rooted',
    'GET /api/rooted-axios',
  ])
  // ...and none of them carried, or asked to carry, an Authorization header.
  for (const request of seenByOther) {
    expect(request.authorization).toBeUndefined()
    expect(request.preflight ?? '').not.toMatch(/authorization/i)
  }
  await page.close()
}, 60_000)
