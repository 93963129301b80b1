// docs/guide/dev-proxy.md, proven: a cookie-mode page behind Vite's dev proxy, configured as
// the guide says, signs in, reloads and is still signed in; with the configuration a newcomer
// copies (changeOrigin: true, the page's origin not in CORS_ORIGINS), the reload shows the
// csrf_rejected error and what to fix, not a silent sign-out.
import { randomBytes } from 'node:crypto'
import { createServer as createHttpServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import {
  createPasswordHasher,
  createServerFromConfig,
  loadConfig,
  silentLogger,
} from '@refresh-kit/server'
import { useTestRedis } from '@refresh-kit/testing'
import { type Browser, chromium, type Page } from 'playwright-core'
import { createServer as createViteServer, type ProxyOptions, type ViteDevServer } from 'vite'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEMO_USER } from '../src/demo-config.js'
import { seedUser } from '../src/node/seed.js'

const redis = useTestRedis('demo-dev-proxy')
const pageRoot = fileURLToPath(new URL('./dev-proxy-page/', import.meta.url))

let browser: Browser
beforeAll(async () => {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-quic'],
  })
})
afterAll(async () => {
  await browser?.close()
})

function listen(server: Server, port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port))
  })
}

/** A port nothing listens on now, for Vite (which is told its port, and must keep it). */
async function freePort(): Promise<number> {
  const probe = createHttpServer()
  const port = await listen(probe)
  await new Promise((resolve) => probe.close(resolve))
  return port
}

/** The real token server with its defaults, on the test Redis, the demo user seeded. */
async function startTokenServer(env: Record<string, string>) {
  const server = createServerFromConfig(
    loadConfig({
      JWT_SECRET: randomBytes(48).toString('base64url'),
      TOKEN_STORE: 'redis',
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: redis.keyPrefix,
      LOG_LEVEL: 'silent',
      ...env,
    }),
    {
      redis: redis.client(),
      logger: silentLogger,
      passwords: createPasswordHasher({ cost: 2 ** 10 }),
    },
  )
  const http = createHttpServer(server.app.callback())
  const url = `http://127.0.0.1:${await listen(http)}`
  await seedUser(url, DEMO_USER)
  return {
    url,
    async close() {
      http.closeAllConnections()
      await new Promise((resolve) => http.close(resolve))
      await server.close()
    },
  }
}

/** A Vite dev server for the small page on `port`, with `/auth` forwarded as `proxy` says. */
async function startVite(port: number, proxy: ProxyOptions): Promise<ViteDevServer> {
  const vite = await createViteServer({
    configFile: false,
    root: pageRoot,
    logLevel: 'silent',
    server: { host: '127.0.0.1', port, strictPort: true, proxy: { '/auth': proxy } },
  })
  return vite.listen()
}

/** Opens `url`, or reloads the page when no url is given, and waits for its restore to settle. */
async function load(page: Page, url?: string): Promise<void> {
  if (url === undefined) await page.reload()
  else await page.goto(url)
  await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 })
}

const state = (page: Page) => page.getAttribute('#status', 'data-state')
const text = async (page: Page, selector: string) =>
  (await page.textContent(selector))?.trim() ?? ''

/** Signs in with the form, as a user would, and waits for the signed-in line. */
async function signIn(page: Page): Promise<void> {
  await page.fill('#username', DEMO_USER.username)
  await page.fill('#password', DEMO_USER.password)
  await page.click('button[type="submit"]')
  await page.waitForSelector('#status[data-state="signed-in"]', { timeout: 30_000 })
}

interface Setup {
  name: string
  /** The token server's environment; the page's origin is passed in when it is known. */
  env(pageOrigin: string): Record<string, string>
  /** Vite's `server.proxy['/auth']`, without the target. */
  proxy: Omit<ProxyOptions, 'target'>
}

// Exactly the two settings of docs/guide/dev-proxy.md.
const WORKING: Setup[] = [
  {
    name: 'Vite keeps the Host header (changeOrigin: false), no CORS_ORIGINS needed',
    env: () => ({}),
    proxy: { changeOrigin: false },
  },
  {
    name: "Vite rewrites Host (changeOrigin: true) and the page's origin is in CORS_ORIGINS",
    env: (pageOrigin) => ({ CORS_ORIGINS: pageOrigin }),
    proxy: { changeOrigin: true },
  },
]

/** The token server, Vite on a free port in front of it, and a page; `run` gets the page and its URL. */
async function withSetup(setup: Setup, run: (page: Page, url: string) => Promise<void>) {
  const port = await freePort()
  const pageOrigin = `http://127.0.0.1:${port}`
  const api = await startTokenServer(setup.env(pageOrigin))
  const vite = await startVite(port, { target: api.url, ...setup.proxy })
  const page = await browser.newPage()
  try {
    await run(page, `${pageOrigin}/`)
  } finally {
    await page.close()
    await vite.close()
    await api.close()
  }
}

describe.each(WORKING)('a cookie-mode page behind the dev proxy: $name', (setup) => {
  it('signs in, and after a reload is still signed in', async () => {
    await withSetup(setup, async (page, url) => {
      await load(page, url)
      expect(await state(page)).toBe('signed-out')
      await signIn(page)

      await load(page)
      expect(await state(page)).toBe('signed-in')
      expect(await text(page, '#status')).toBe(`Signed in as ${DEMO_USER.username}`)
      expect(await text(page, '#events')).toBe('')
    })
  }, 120_000)
})

describe("the newcomer's dev proxy: changeOrigin: true, the page's origin not in CORS_ORIGINS", () => {
  it('shows csrf_rejected after the reload, saying what to fix, not a silent sign-out', async () => {
    const newcomer: Setup = { name: 'newcomer', env: () => ({}), proxy: { changeOrigin: true } }
    await withSetup(newcomer, async (page, url) => {
      await load(page, url)
      // Signing in works: the login is not authenticated by the cookie.
      await signIn(page)

      await load(page)
      expect(await state(page)).toBe('error')
      expect(await page.getAttribute('#status', 'data-code')).toBe('csrf_rejected')
      const message = await text(page, '#status')
      expect(message).toContain('403 csrf_rejected')
      expect(message).toContain('CORS_ORIGINS')
      expect(message).toContain('Host header')
      expect(message).toContain(new URL(url).origin)
      expect(await text(page, '#events')).toBe('refreshFailed:csrf_rejected')
    })
  }, 120_000)
})
