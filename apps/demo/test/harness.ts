import { randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import {
  type ConfiguredServer,
  createPasswordHasher,
  createServerFromConfig,
  loadConfig,
  silentLogger,
} from '@refresh-kit/server'
import { ROUTES } from '@refresh-kit/shared'
import type { TestRedis } from '@refresh-kit/testing'
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core'
import { DEMO_USER } from '../src/demo-config.js'
import { seedUser } from '../src/node/seed.js'
import { createDemoServer } from '../src/node/serve.js'

/** The built page: the test task depends on the build (apps/demo/turbo.json). */
export const webRoot = fileURLToPath(new URL('../dist/web/', import.meta.url))

/** Access tokens live this long in the browser tests: long enough for a burst, short enough to watch. */
export const ACCESS_TOKEN_TTL = 10

/** The demo running in-process: token server on the test Redis, demo server, one Chromium. */
export interface RunningDemo {
  /** The page in its default cookie transport, e.g. `http://127.0.0.1:41234/?heartbeat=off`. */
  pageUrl: string
  /** The page in body transport (tokens in localStorage), to compare. */
  bodyPageUrl: string
  /** The page's origin, e.g. `http://127.0.0.1:41234`. */
  pageOrigin: string
  apiUrl: string
  server: ConfiguredServer
  browser: Browser
  /** `POST /auth/refresh` requests the token server received. */
  refreshCalls(): number
  /** `POST /auth/refresh` requests the token server answered with success: rotations made. */
  rotations(): number
  /**
   * Holds every `/auth/refresh` that arrives from now on (counted, not yet answered) until the
   * returned function is called, so that refreshes started "at once" surely overlap.
   */
  holdRefreshes(): () => void
  close(): Promise<void>
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)
    })
  })
}

function isRefresh(req: IncomingMessage): boolean {
  return req.method === 'POST' && new URL(req.url ?? '/', 'http://x').pathname === ROUTES.refresh
}

/**
 * Starts what `pnpm demo` starts, in-process: the token server (`createServerFromConfig` on the
 * test Redis, under the file's key prefix), the demo server serving the BUILT page with the
 * API on the same origin, the seeded demo user, and a headless Chromium.
 */
export async function startDemo(redis: TestRedis): Promise<RunningDemo> {
  const config = loadConfig({
    JWT_SECRET: randomBytes(48).toString('base64url'),
    TOKEN_STORE: 'redis',
    REDIS_URL: redis.url,
    REDIS_KEY_PREFIX: redis.keyPrefix,
    ACCESS_TOKEN_TTL: String(ACCESS_TOKEN_TTL),
    LOG_LEVEL: 'silent',
    // As `pnpm demo`: the page's origin reaches the server through the demo server's forwarding.
    TRUST_PROXY: 'true',
  })
  const server = createServerFromConfig(config, {
    redis: redis.client(),
    logger: silentLogger,
    // Cheap hashing: the tests are about tokens, not password cost.
    passwords: createPasswordHasher({ cost: 2 ** 10 }),
  })
  let refreshes = 0
  let rotations = 0
  let gate: Promise<void> = Promise.resolve()
  const handle = server.app.callback()
  const api = createServer((req, res) => {
    if (!isRefresh(req)) return void handle(req, res)
    refreshes += 1
    res.once('finish', () => {
      if (res.statusCode < 300) rotations += 1
    })
    void gate.then(() => handle(req, res))
  })
  const apiUrl = await listen(api)
  await seedUser(apiUrl, DEMO_USER)

  const web = createDemoServer({
    root: webRoot,
    apiUrl,
    config: { tokenStore: 'redis', accessTokenTtl: ACCESS_TOKEN_TTL, demoUser: { ...DEMO_USER } },
  })
  const pageOrigin = await listen(web)

  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-sync',
      '--disable-quic',
    ],
  })

  return {
    pageUrl: `${pageOrigin}/?heartbeat=off`,
    bodyPageUrl: `${pageOrigin}/?heartbeat=off&transport=body`,
    pageOrigin,
    apiUrl,
    server,
    browser,
    refreshCalls: () => refreshes,
    rotations: () => rotations,
    holdRefreshes() {
      let release = () => {}
      gate = new Promise((resolve) => {
        release = resolve
      })
      return release
    },
    async close() {
      await browser.close()
      web.closeAllConnections()
      api.closeAllConnections()
      await Promise.all([
        new Promise((resolve) => web.close(resolve)),
        new Promise((resolve) => api.close(resolve)),
      ])
      await server.close()
    },
  }
}

/** Uncaught errors of every page opened with {@link openPage}; a test expects none. */
export const pageErrors: Error[] = []

/** Opens the page and waits until its script has read the stored tokens. */
export async function openPage(browser: Browser | BrowserContext, url: string): Promise<Page> {
  const page = await browser.newPage()
  page.on('pageerror', (error) => pageErrors.push(error))
  await page.goto(url)
  await page.waitForSelector('body[data-ready="true"]', { timeout: 20_000 })
  return page
}

/** Signs in with the one-click demo-user button and waits for the signed-in state. */
export async function signInAsDemo(page: Page): Promise<void> {
  await page.click('#demo-signin')
  await page.waitForSelector('#status[data-state="signed-in"]', { timeout: 20_000 })
}

/** Rewinds the stored access-token expiry, as the page's burst button does. */
export async function expireLocally(page: Page): Promise<void> {
  await page.evaluate(() => {
    const key = 'refresh-kit.tokens'
    const tokens = JSON.parse(localStorage.getItem(key) ?? 'null') as { expiresAt: number } | null
    if (tokens === null) throw new Error('no tokens stored')
    localStorage.setItem(key, JSON.stringify({ ...tokens, expiresAt: Date.now() - 1000 }))
  })
}

/** The texts of the page's timeline, newest first. */
export function timelineTexts(page: Page): Promise<string[]> {
  return page.$$eval('#timeline li .text', (items) => items.map((item) => item.textContent ?? ''))
}

/** Polls until `check` holds: generous, because the machine is shared and slow. */
export async function eventually(
  check: () => Promise<boolean> | boolean,
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
