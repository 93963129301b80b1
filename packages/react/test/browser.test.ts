// React in real Chromium: a page built with Vite (once under React 19, once under React 18),
// rendered on the server first and hydrated, signing in against the real server on real Redis.
import { readFile, rm } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { extname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
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
import { type Browser, chromium, type Page } from 'playwright-core'
import { build } from 'vite'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sourceAliases } from '../../../vitest.shared.js'

// biome-ignore lint/correctness/useHookAtTopLevel: the Redis test fixture, not a React hook
const redis = useTestRedis('react-browser')
const here = (path: string) => fileURLToPath(new URL(path, import.meta.url))
const dependency = (name: string) => here(`../node_modules/${name}`)
const ACCESS_TOKEN_TTL = 2
const password = 'correct horse battery staple'

let browser: Browser
let refreshCalls = 0
let handle: (
  req: import('node:http').IncomingMessage,
  res: import('node:http').ServerResponse,
) => void

beforeAll(async () => {
  const store = createRedisStore({ redis: redis.client(), keyPrefix: redis.keyPrefix })
  const tokens = createAuthService({
    ...authSettingsOf(loadConfig({})),
    store,
    keys: createTokenKeys({
      jwtSecret: 'react-browser-secret-0123456789abcdefghijklmnopqrstuvwxyz',
    }),
    passwords: createPasswordHasher({ cost: 2 ** 10 }),
    accessTokenTtlSeconds: ACCESS_TOKEN_TTL,
  })
  handle = createApp({ auth: tokens, store }).callback()
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  })
})

/** Build folders to remove once the file is done. */
const built: string[] = []

afterAll(async () => {
  await Promise.all(built.map((dir) => rm(dir, { recursive: true, force: true })))
  await browser?.close()
})

/** Builds the page and its server-rendering bundle under one React version. */
async function buildPage(
  react: 18 | 19,
): Promise<{ web: string; render: () => { html: string; version: string } }> {
  const out = join(tmpdir(), `refresh-kit-react-${react}-${process.pid}`)
  built.push(out)
  const alias = [
    ...sourceAliases,
    ...(react === 18
      ? [
          { find: /^react$/, replacement: dependency('react18') },
          { find: /^react\/(.*)$/, replacement: `${dependency('react18')}/$1` },
          { find: /^react-dom$/, replacement: dependency('react-dom18') },
          { find: /^react-dom\/(.*)$/, replacement: `${dependency('react-dom18')}/$1` },
        ]
      : []),
  ]
  const common = {
    root: here('./page'),
    configFile: false as const,
    logLevel: 'warn' as const,
    resolve: { alias },
  }
  await build({
    ...common,
    build: { outDir: join(out, 'web'), emptyOutDir: true, target: 'es2022' },
  })
  await build({
    ...common,
    ssr: { noExternal: true },
    build: { ssr: 'ssr.tsx', outDir: join(out, 'ssr'), emptyOutDir: true, target: 'node20' },
  })
  const module = (await import(pathToFileURL(join(out, 'ssr', 'ssr.js')).href)) as {
    render: () => { html: string; version: string }
  }
  return { web: join(out, 'web'), render: module.render }
}

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript' }

/** The built page, server-rendered, and the token server, on one origin. */
async function serve(
  web: string,
  render: () => { html: string },
): Promise<{ url: string; server: Server }> {
  const server = createServer(async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname
    if (path.startsWith('/auth/')) {
      if (path === '/auth/refresh') refreshCalls += 1
      return handle(req, res)
    }
    try {
      const file = join(web, path === '/' ? 'index.html' : path)
      let body: string | Buffer = await readFile(file)
      if (path === '/') {
        body = body
          .toString()
          .replace('<div id="root"></div>', `<div id="root">${render().html}</div>`)
      }
      res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream' })
      res.end(body)
    } catch {
      res.writeHead(404).end()
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server }
}

async function waitFor(
  check: () => Promise<boolean>,
  what: string,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await check()) return
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`timed out waiting for ${what}`)
}

const statusOf = (page: Page) => page.getAttribute('#status', 'data-status')

describe.each([19, 18] as const)('React %i in Chromium', (react) => {
  let site: { url: string; server: Server }
  let render: () => { html: string; version: string }
  const username = `react${react}.${Date.now()}`

  beforeAll(async () => {
    const built = await buildPage(react)
    render = built.render
    site = await serve(built.web, render)
    const answer = await fetch(`${site.url}/auth/register`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username, password }),
    })
    expect(answer.status).toBe(201)
  }, 180_000)

  afterAll(async () => {
    site?.server.closeAllConnections()
    await new Promise((resolve) => site?.server.close(resolve))
  })

  it('renders on the server without window: the loading state', () => {
    const { html, version } = render()
    expect(version.startsWith(`${react}.`)).toBe(true)
    expect(html).toContain('data-status="loading"')
    expect(html).not.toContain('Signed in')
  })

  it('signs in, shows the user, refreshes on waking up and on coming back online without a flash, and flips to expired once when the session is revoked', async () => {
    const context = await browser.newContext()
    const page = await context.newPage()
    const errors: Error[] = []
    page.on('pageerror', (error) => errors.push(error))
    await page.goto(site.url)
    expect(await page.evaluate(() => window.reactVersion)).toMatch(new RegExp(`^${react}\\.`))
    await page.waitForSelector('#status[data-status="signed-out"]')

    await page.fill('#username', username)
    await page.fill('#password', password)
    await page.click('#submit')
    await page.waitForSelector('#status[data-status="signed-in"]')
    expect(await page.textContent('#status')).toBe(`Signed in as ${username}`)
    await waitFor(
      async () => (await page.getAttribute('#token', 'data-token')) !== '',
      'the token hook',
    )
    const firstToken = await page.getAttribute('#token', 'data-token')

    // The access token lives 2 s: wait past half its life, then bring the tab back to the
    // front. The wake-up refresh renews it, and the hooks follow, never leaving signed-in.
    const before = refreshCalls
    await page.waitForTimeout(1_500)
    await page.evaluate(() => document.dispatchEvent(new Event('visibilitychange')))
    await waitFor(async () => refreshCalls > before, 'the wake-up refresh')
    await waitFor(async () => {
      const token = await page.getAttribute('#token', 'data-token')
      return token !== '' && token !== firstToken
    }, 'the new token in the hook')

    // The same when the network comes back: Chromium fires `online`, the token is renewed.
    const secondToken = await page.getAttribute('#token', 'data-token')
    const beforeOnline = refreshCalls
    await context.setOffline(true)
    await page.waitForTimeout(1_500)
    await context.setOffline(false)
    await waitFor(async () => refreshCalls > beforeOnline, 'the refresh on coming back online')
    await waitFor(async () => {
      const token = await page.getAttribute('#token', 'data-token')
      return token !== '' && token !== secondToken
    }, 'the token renewed after going online')
    const me = await page.evaluate(
      async () => (await (await window.auth('/auth/me')).json()).username,
    )
    expect(me).toBe(username)
    expect(await statusOf(page)).toBe('signed-in')
    expect(await page.evaluate(() => window.shown)).toEqual(['loading', 'signed-out', 'signed-in'])

    // Revoked from another device: every session of the user ends on the server.
    const other = await (
      await fetch(`${site.url}/auth/login`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ username, password }),
      })
    ).json()
    const revoked = await fetch(`${site.url}/auth/logout-all`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${other.accessToken}` },
    })
    expect(revoked.status).toBe(204)
    await page.waitForTimeout(2_500)
    const outcome = await page.evaluate(async () =>
      Promise.allSettled([
        window.auth('/auth/me'),
        window.auth('/auth/me'),
        window.auth('/auth/me'),
      ]).then((results) =>
        results.map((result) =>
          result.status === 'rejected' ? String((result.reason as { code?: string }).code) : 'ok',
        ),
      ),
    )
    expect(outcome).toEqual(['session_expired', 'session_expired', 'session_expired'])
    await page.waitForSelector('#status[data-status="expired"]')
    await page.evaluate(() => document.dispatchEvent(new Event('visibilitychange')))
    await page.waitForTimeout(300)
    expect(await page.evaluate(() => window.shown)).toEqual([
      'loading',
      'signed-out',
      'signed-in',
      'expired',
    ])
    expect(await page.evaluate(() => window.sessionExpired)).toBe(1)
    expect(await page.getAttribute('#token', 'data-token')).toBe('')
    expect(errors).toEqual([])
    await context.close()
  }, 120_000)
})
