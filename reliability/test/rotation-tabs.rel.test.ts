import { ROUTES, type SessionListResponse } from '@refresh-kit/shared'
import { type RedisServerProcess, startRedisServer } from '@refresh-kit/testing'
import { build } from 'esbuild'
import { type Browser, chromium } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PASSWORD, uniqueUsername } from '../src/accounts.js'
import { type FaultProxy, startFaultProxy } from '../src/fault-proxy.js'
import { httpRequest } from '../src/http.js'
import { SDK_DIST } from '../src/sdk-entries.js'
import { type ServerProcess, startServerProcess } from '../src/server-process.js'

/**
 * Two Chromium tabs of one origin share storage and the refresh lock; the built SDK runs in
 * both (bundled for the browser from `packages/client-sdk/dist`). The answer to the lock
 * holder's refresh is lost after the server rotated: the holder retries inside the grace
 * window, the other tab adopts the successor, and the session lives on.
 */

/** Each entry of the SDK as the page creates its client: the axios binding and the fetch function. */
const BROWSER_ENTRIES = [
  {
    name: 'axios (createAuthClient)',
    bundle: `
      import { createAuthClient, localStorageStorage } from './index.js'
      import { browserCoordinator } from './cross-tab.js'
      window.createClient = () => {
        const auth = createAuthClient({
          baseURL: location.origin,
          storage: localStorageStorage(),
          coordinator: browserCoordinator(),
        })
        return {
          login: (credentials) => auth.login(credentials).then(() => undefined),
          refresh: () => auth.manager.refresh().then(() => undefined),
          refreshToken: async () => (await auth.manager.getTokens())?.refreshToken ?? null,
          accessToken: async () => (await auth.manager.getTokens())?.accessToken ?? null,
          on: (event, listener) => auth.on(event, listener),
        }
      }
    `,
  },
  {
    name: 'fetch (createAuthFetch)',
    bundle: `
      import { createAuthFetch, localStorageStorage } from './fetch.js'
      import { browserCoordinator } from './cross-tab.js'
      window.createClient = () => {
        const authFetch = createAuthFetch({
          baseURL: location.origin,
          storage: localStorageStorage(),
          coordinator: browserCoordinator(),
        })
        return {
          login: (credentials) => authFetch.login(credentials).then(() => undefined),
          refresh: () => authFetch.manager.refresh().then(() => undefined),
          refreshToken: async () => (await authFetch.manager.getTokens())?.refreshToken ?? null,
          accessToken: async () => (await authFetch.manager.getTokens())?.accessToken ?? null,
          on: (event, listener) => authFetch.on(event, listener),
        }
      }
    `,
  },
] as const

const PAGE = `<!doctype html><meta charset="utf-8"><title>tab</title>
<script src="/sdk.js"></script>
<script>
  window.client = window.createClient()
  window.sessionExpired = 0
  window.client.on('sessionExpired', () => { window.sessionExpired += 1 })
  document.documentElement.dataset.ready = 'true'
</script>`

let redis: RedisServerProcess
let server: ServerProcess
let browser: Browser

beforeAll(async () => {
  redis = await startRedisServer()
  server = await startServerProcess({
    env: { TOKEN_STORE: 'redis', REDIS_URL: redis.url, REDIS_KEY_PREFIX: 'rel-tabs:' },
  })
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  })
}, 120_000)

afterAll(async () => {
  await browser?.close()
  if (server?.pid() !== undefined) await server.stop()
  await redis?.dispose()
})

describe.each(BROWSER_ENTRIES)('two tabs, lock holder loses its answer: $name', (entry) => {
  let proxy: FaultProxy

  beforeAll(async () => {
    const bundled = await build({
      stdin: { contents: entry.bundle, resolveDir: SDK_DIST, loader: 'js' },
      bundle: true,
      format: 'iife',
      platform: 'browser',
      write: false,
      logLevel: 'silent',
    })
    const sdk = bundled.outputFiles[0]?.text ?? ''
    proxy = await startFaultProxy({
      upstream: server.url,
      pages: {
        '/tab.html': { contentType: 'text/html; charset=utf-8', body: PAGE },
        '/sdk.js': { contentType: 'text/javascript', body: sdk },
      },
    })
  }, 120_000)

  afterAll(async () => {
    await proxy?.close()
  })

  it('keeps both tabs signed in on one session with no reuse detected', async () => {
    const context = await browser.newContext()
    try {
      const [a, b] = [await context.newPage(), await context.newPage()]
      const pageErrors: string[] = []
      for (const page of [a, b]) page.on('pageerror', (error) => pageErrors.push(error.message))
      for (const page of [a, b]) {
        await page.goto(`${proxy.url}/tab.html`)
        await page.waitForSelector('html[data-ready="true"]', {
          state: 'attached',
          timeout: 20_000,
        })
      }
      const username = uniqueUsername('tabs')
      const registered = await httpRequest(`${server.url}${ROUTES.register}`, {
        method: 'POST',
        json: { username, password: PASSWORD },
      })
      expect(registered.status).toBe(201)
      await a.evaluate((credentials) => window.client.login(credentials), {
        username,
        password: PASSWORD,
      })
      const before = await b.evaluate(() => window.client.refreshToken())
      expect(before).not.toBeNull()

      // Whichever tab gets the lock first sends the refresh; its answer never comes back.
      const at = proxy.stats.refreshes
      const statusesFrom = proxy.stats.refreshStatuses.length
      proxy.setFaultFor((n) => (n === at ? 'silence' : 'pass'))
      // Both refreshes start before either can end (the lost answer holds the first for the
      // refresh timeout): started from one awaited evaluate each, so a slow machine cannot
      // delay the second tab's start past the first's success, which would make it a new
      // refresh of the successor rather than one that adopts it.
      for (const page of [a, b]) {
        await page.evaluate(() => {
          window.refreshing = window.client.refresh().then(
            () => 'ok',
            (error) => `failed: ${error?.code}`,
          )
        })
      }
      const outcomes = await Promise.all(
        [a, b].map((page) => page.evaluate(() => window.refreshing)),
      )
      expect(outcomes).toEqual(['ok', 'ok'])

      // One refresh that rotated and lost its answer, one immediate retry that the grace
      // window answered; the tab that waited for the lock adopted the result without a request.
      expect(proxy.stats.refreshes - at).toBe(2)
      expect(proxy.stats.refreshStatuses.slice(statusesFrom)).toEqual([200, 200])
      const tokens = await Promise.all(
        [a, b].map((page) => page.evaluate(() => window.client.refreshToken())),
      )
      expect(tokens[0]).toBe(tokens[1])
      expect(tokens[0]).not.toBe(before)
      expect(
        await Promise.all([a, b].map((page) => page.evaluate(() => window.sessionExpired))),
      ).toEqual([0, 0])

      const accessToken = await a.evaluate(() => window.client.accessToken())
      const listed = await httpRequest(`${server.url}${ROUTES.sessions}`, {
        headers: { authorization: `Bearer ${accessToken}` },
      })
      expect(listed.status).toBe(200)
      expect((listed.body as SessionListResponse).sessions).toHaveLength(1)
      // The session goes on: the next refresh, from the other tab, rotates normally.
      expect(await b.evaluate(() => window.client.refresh().then(() => 'ok'))).toBe('ok')
      expect(proxy.stats.refreshStatuses.slice(statusesFrom)).toEqual([200, 200, 200])
      expect(pageErrors).toEqual([])
    } finally {
      await context.close()
    }
  })
})

declare global {
  interface Window {
    createClient: () => TabClient
    client: TabClient
    sessionExpired: number
    refreshing: Promise<string>
  }
}

interface TabClient {
  login(credentials: { username: string; password: string }): Promise<void>
  refresh(): Promise<void>
  refreshToken(): Promise<string | null>
  accessToken(): Promise<string | null>
  on(event: string, listener: () => void): () => void
}
