import { mkdir } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { useTestRedis } from '@refresh-kit/testing'
import type { BrowserContext, Cookie, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  eventually,
  openPage,
  pageErrors,
  type RunningDemo,
  signInAsDemo,
  startDemo,
  timelineTexts,
} from './harness.js'

const redis = useTestRedis('demo-cookie')
let demo: RunningDemo

beforeAll(async () => {
  demo = await startDemo(redis)
})
afterAll(async () => {
  await demo?.close()
})

const text = async (page: Page, selector: string) =>
  (await page.textContent(selector))?.trim() ?? ''

async function refreshCookie(context: BrowserContext): Promise<Cookie | undefined> {
  return (await context.cookies()).find((cookie) => cookie.name === 'rk_refresh')
}

/** Everything a script on the page can read: cookies, localStorage, sessionStorage. */
function readable(page: Page) {
  return page.evaluate(() => ({
    cookie: document.cookie,
    localStorage: JSON.stringify({ ...localStorage }),
    sessionStorage: JSON.stringify({ ...sessionStorage }),
  }))
}

describe('the demo in cookie mode (the default)', () => {
  let context: BrowserContext
  let page: Page
  beforeAll(async () => {
    context = await demo.browser.newContext({ viewport: { width: 1280, height: 800 } })
    page = await openPage(context, demo.pageUrl)
  })
  afterAll(async () => {
    await context?.close()
  })

  it('signs in with the refresh token in a Secure HttpOnly cookie scoped to /auth, and says where each token lives', async () => {
    await signInAsDemo(page)
    const cookie = await refreshCookie(context)
    expect(cookie).toMatchObject({
      httpOnly: true,
      secure: true,
      sameSite: 'Strict',
      path: '/auth',
    })
    expect(cookie?.value).toMatch(/^rk1\./)
    expect(await text(page, '#where-refresh')).toBe('HttpOnly cookie: not readable by this page')
    expect(await page.getAttribute('#where-access', 'data-where')).toBe('memory')
    expect(await text(page, '#document-cookie')).toBe('(empty)')
    expect(await text(page, '#local-storage')).toBe('(empty)')
    expect(await page.getAttribute('[data-transport="cookie"]', 'aria-current')).toBe('true')
  })

  it('keeps the refresh token out of document.cookie, localStorage and sessionStorage', async () => {
    const cookie = await refreshCookie(context)
    const value = cookie?.value as string
    expect(value.length).toBeGreaterThan(40)
    const seen = await readable(page)
    for (const place of [seen.cookie, seen.localStorage, seen.sessionStorage]) {
      expect(place).not.toContain(value)
      expect(place).not.toContain('rk1.')
    }
    expect(seen.cookie).toBe('')
  })

  it('survives a reload signed in, with one refresh that rotates the cookie', async () => {
    const before = demo.refreshCalls()
    const rotations = demo.rotations()
    const cookie = await refreshCookie(context)
    await page.reload()
    await page.waitForSelector('body[data-ready="true"]', { timeout: 20_000 })
    expect(await text(page, '#status')).toBe('Signed in as demo')
    expect(await text(page, '[data-claim="username"]')).toBe('demo')
    expect(demo.refreshCalls() - before).toBe(1)
    expect(demo.rotations() - rotations).toBe(1)
    expect((await refreshCookie(context))?.value).not.toBe(cookie?.value)
    expect(await timelineTexts(page)).toContain(
      'Session restored from the HttpOnly cookie after the page load',
    )
    // The restored session serves requests.
    await page.click('#call-me')
    await eventually(
      async () => (await text(page, '#answer')).includes('"username": "demo"'),
      'the answer of /auth/me',
    )
    // The burst works on the in-memory token as it does on localStorage: one refresh for 20.
    await page.click('#burst')
    await page.waitForSelector('#burst-result:not([hidden])', { timeout: 20_000 })
    expect(await page.getAttribute('#burst-result', 'data-ok')).toBe('true')
    expect(await page.getAttribute('#burst-result', 'data-refreshes')).toBe('1')
    await mkdir('test-results', { recursive: true })
    await page.screenshot({ path: 'test-results/demo-cookie.png' })
  })

  it('switches to body mode and back: each transport starts clean, the cookie session ended', async () => {
    await page.click('[data-transport="body"]')
    await page.waitForURL(/transport=body/)
    await page.waitForSelector('body[data-ready="true"]', { timeout: 20_000 })
    expect(await text(page, '#status')).toBe('Signed out')
    expect(await refreshCookie(context)).toBeUndefined()
    await signInAsDemo(page)
    expect(await text(page, '#where-refresh')).toBe(
      'localStorage["refresh-kit.tokens"]: readable by any script on this page',
    )
    expect((await readable(page)).localStorage).toContain('rk1.')
    await page.click('[data-transport="cookie"]')
    await page.waitForURL(/transport=cookie/)
    await page.waitForSelector('body[data-ready="true"]', { timeout: 20_000 })
    expect(await text(page, '#status')).toBe('Signed out')
    expect((await readable(page)).localStorage).not.toContain('rk1.')
    expect(pageErrors).toEqual([])
  })
})

/** A page on another origin of the same site (another port): a cookie with SameSite=Strict still goes along. */
async function startAttacker(target: string): Promise<{ url: string; close(): Promise<void> }> {
  const html = `<!doctype html><meta charset="utf-8"><title>elsewhere</title>
<iframe name="sink"></iframe><iframe name="sink2"></iframe>
<form id="refresh" method="POST" action="${target}/auth/refresh" target="sink"><input name="x" value="1"></form>
<form id="logout" method="POST" action="${target}/auth/logout" target="sink2"><input name="x" value="1"></form>
<script>
  window.results = {}
  const settle = (name, promise) => promise.then(
    (response) => { window.results[name] = response.type === 'opaque' ? 'opaque' : response.status },
    (error) => { window.results[name] = 'failed: ' + error.name })
  settle('refreshWithHeader', fetch('${target}/auth/refresh', { method: 'POST', credentials: 'include', headers: { 'X-Refresh-Token-Transport': 'cookie' } }))
  settle('refreshNoCors', fetch('${target}/auth/refresh', { method: 'POST', credentials: 'include', mode: 'no-cors' }))
  settle('logoutWithHeader', fetch('${target}/auth/logout', { method: 'POST', credentials: 'include', headers: { 'X-Refresh-Token-Transport': 'cookie' } }))
  settle('logoutNoCors', fetch('${target}/auth/logout', { method: 'POST', credentials: 'include', mode: 'no-cors' }))
  document.getElementById('refresh').submit()
  document.getElementById('logout').submit()
</script>`
  const server: Server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
    res.end(html)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}

describe('a page on another origin', () => {
  it('cannot refresh or log out with the cookie: form posts get 403, credentialed fetches fail or stay opaque, nothing rotates', async () => {
    const context = await demo.browser.newContext()
    const attacker = await startAttacker(demo.pageOrigin)
    try {
      const page = await openPage(context, demo.pageUrl)
      await signInAsDemo(page)
      const cookie = await refreshCookie(context)
      const rotations = demo.rotations()
      const calls = demo.refreshCalls()

      const evil = await context.newPage()
      const formAnswers: number[] = []
      evil.on('response', (response) => {
        if (response.request().resourceType() === 'document' && response.url().includes('/auth/')) {
          formAnswers.push(response.status())
        }
      })
      await evil.goto(attacker.url)
      await eventually(
        async () =>
          formAnswers.length === 2 &&
          (await evil.evaluate(
            () => Object.keys((window as { results?: object }).results ?? {}).length,
          )) === 4,
        'the forms and fetches of the other origin to settle',
      )
      const results = await evil.evaluate(() => (window as unknown as { results: object }).results)
      // Same site, another origin: the cookie went along, and the missing header refused them.
      expect(formAnswers).toEqual([403, 403])
      expect(results).toEqual({
        // The preflight got no CORS headers: the browser never sent the request.
        refreshWithHeader: 'failed: TypeError',
        logoutWithHeader: 'failed: TypeError',
        // Sent without the header (a simple request), answered 403, unreadable to the page.
        refreshNoCors: 'opaque',
        logoutNoCors: 'opaque',
      })
      // Counted on the server: the no-cors and form refreshes arrived, none rotated.
      expect(demo.refreshCalls() - calls).toBe(2)
      expect(demo.rotations()).toBe(rotations)
      expect((await refreshCookie(context))?.value).toBe(cookie?.value)

      // The session survived the logouts too: a reload is still signed in.
      await page.reload()
      await page.waitForSelector('body[data-ready="true"]', { timeout: 20_000 })
      expect(await text(page, '#status')).toBe('Signed in as demo')
    } finally {
      await context.close()
      await attacker.close()
    }
  })
})

describe('two tabs in cookie mode', () => {
  let context: BrowserContext
  let a: Page
  let b: Page
  beforeAll(async () => {
    context = await demo.browser.newContext({ viewport: { width: 1280, height: 800 } })
    a = await openPage(context, demo.pageUrl)
    await signInAsDemo(a)
    // The second tab has empty memory: it restores from the cookie.
    b = await openPage(context, demo.pageUrl)
    await b.waitForSelector('#status[data-state="signed-in"]')
  })
  afterAll(async () => {
    await context?.close()
  })

  it('share one refresh when both find the access token expired: exactly one request reaches the server', async () => {
    // Tab B's restore reached tab A over the channel: both hold the same token in memory.
    await eventually(
      async () => (await text(a, '[data-claim="jti"]')) === (await text(b, '[data-claim="jti"]')),
      'tab A to pick up the token tab B restored',
    )
    for (const page of [a, b]) {
      await page.waitForSelector('#countdown[data-level="expired"]', { timeout: 30_000 })
    }
    const before = demo.refreshCalls()
    // No refresh is answered until both tabs have started theirs: they surely overlap.
    const release = demo.holdRefreshes()
    await Promise.all([a.click('#call-me'), b.click('#call-me')])
    const started = async (page: Page) =>
      (await timelineTexts(page)).filter((line) => line.startsWith('Refresh started')).length
    await eventually(
      async () => (await started(a)) === 1 && (await started(b)) === 1,
      'both tabs to start a refresh',
    )
    release()
    for (const page of [a, b]) {
      await eventually(
        async () => (await text(page, '#answer')).includes('"username": "demo"'),
        'both answers',
      )
    }
    expect(demo.refreshCalls() - before).toBe(1)
    expect(await text(a, '[data-claim="jti"]')).toBe(await text(b, '[data-claim="jti"]'))
    const adopted = await Promise.all(
      [a, b].map(async (page) =>
        (await timelineTexts(page)).includes('Picked up the access token another tab received'),
      ),
    )
    expect(adopted.filter(Boolean).length).toBeGreaterThanOrEqual(1)
  })

  it('sign out in one tab signs both out and the cookie is gone', async () => {
    expect(await refreshCookie(context)).toBeDefined()
    await a.click('#signout')
    await a.waitForSelector('#status[data-state="signed-out"]')
    await b.waitForSelector('#status[data-state="signed-out"]', { timeout: 10_000 })
    expect(await refreshCookie(context)).toBeUndefined()
    expect(await text(b, '#where-access')).toBe('none (signed out)')
    // Nothing left to restore: a reload stays signed out and rotates nothing.
    const rotations = demo.rotations()
    await b.reload()
    await b.waitForSelector('body[data-ready="true"]', { timeout: 20_000 })
    expect(await text(b, '#status')).toBe('Signed out')
    expect(demo.rotations()).toBe(rotations)
    expect(pageErrors).toEqual([])
  })
})
