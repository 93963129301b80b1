import { mkdir } from 'node:fs/promises'
import { decodeJwtPayload } from '@refresh-kit/shared'
import { useTestRedis } from '@refresh-kit/testing'
import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  ACCESS_TOKEN_TTL,
  eventually,
  expireLocally,
  openPage,
  pageErrors,
  type RunningDemo,
  signInAsDemo,
  startDemo,
  timelineTexts,
} from './harness.js'

const redis = useTestRedis('demo-page')
let demo: RunningDemo

beforeAll(async () => {
  demo = await startDemo(redis)
})
afterAll(async () => {
  await demo?.close()
})

const fillWidth = (page: Page) =>
  page.$eval('#countdown-fill', (element) =>
    Number.parseFloat((element as HTMLElement).style.width),
  )
const text = async (page: Page, selector: string) =>
  (await page.textContent(selector))?.trim() ?? ''

describe('the demo page', () => {
  let context: BrowserContext
  let page: Page
  beforeAll(async () => {
    context = await demo.browser.newContext({ viewport: { width: 1280, height: 800 } })
    page = await openPage(context, demo.bodyPageUrl)
  })
  afterAll(async () => {
    await context?.close()
  })

  it('signs in with one click and shows the token counting down, its claims and its generation', async () => {
    expect(await text(page, '#demo-credentials')).toBe('demo / demo horse battery')
    await signInAsDemo(page)

    expect(await text(page, '#status')).toBe('Signed in as demo')
    expect(await text(page, '[data-claim="username"]')).toBe('demo')
    expect(await text(page, '#generation')).toBe('generation 0')
    expect(await text(page, '#countdown-label')).toMatch(/^Expires in \d+\.\d s$/)
    const first = await fillWidth(page)
    expect(first).toBeGreaterThan(0)
    await eventually(async () => (await fillWidth(page)) < first, 'the countdown bar to shrink')
  })

  it('survives the access token expiring: the next request refreshes first, visibly', async () => {
    const before = demo.refreshCalls()
    await page.waitForSelector('#countdown[data-level="expired"]', { timeout: 30_000 })
    expect(await text(page, '#countdown-label')).toMatch(/^Expired/)

    await page.click('#call-me')
    await eventually(
      async () => (await text(page, '#answer')).includes('"username": "demo"'),
      'the answer of /auth/me',
    )

    expect(demo.refreshCalls() - before).toBe(1)
    expect(await text(page, '#generation')).toBe('generation 1')
    expect(await text(page, '#countdown-label')).toMatch(/^Expires in/)
    const timeline = await timelineTexts(page)
    expect(timeline).toContain('Refresh started: the access token is within 3 s of expiry')
    expect(timeline).toContain('→ POST /auth/refresh: rotating the refresh token')
    expect(timeline.some((line) => line.startsWith('New tokens stored (generation 1)'))).toBe(true)
    expect(timeline).toContain('← 200 GET /auth/me')
  })

  it('serves a burst of 20 requests on a rewound token with one refresh', async () => {
    const before = demo.refreshCalls()
    await page.click('#burst')
    await page.waitForSelector('#burst-result:not([hidden])', { timeout: 30_000 })

    expect(await text(page, '#burst-result')).toBe('20 requests · 20 answered 200 · 1 refresh sent')
    expect(demo.refreshCalls() - before).toBe(1)
    expect(await text(page, '#generation')).toBe('generation 2')
    const timeline = await timelineTexts(page)
    expect(
      timeline.some((line) =>
        /^New tokens stored \(generation 2\); 20 waiting requests released$/.test(line),
      ),
    ).toBe(true)

    // The artifact the README shows: the signed-in page right after the burst.
    await mkdir('test-results', { recursive: true })
    await page.screenshot({ path: 'test-results/demo.png' })
  })

  it('serves a burst of 20 requests rejected with 401 by one refresh and 20 replays', async () => {
    const before = demo.refreshCalls()
    await page.check('input[name="stale-mode"][value="break"]')
    await page.click('#burst')
    await eventually(
      async () =>
        (await text(page, '#burst-result')).length > 0 &&
        (await text(page, '#generation')) === 'generation 3',
      'the second burst',
      30_000,
    )
    await eventually(async () => !(await page.isDisabled('#burst')), 'the burst to finish', 30_000)

    expect(await text(page, '#burst-result')).toBe('20 requests · 20 answered 200 · 1 refresh sent')
    expect(demo.refreshCalls() - before).toBe(1)
    const counts = await page.$$eval('#timeline li', (items) =>
      items.map(
        (item) =>
          `${item.querySelector('.text')?.textContent} ${item.querySelector('.count')?.textContent}`,
      ),
    )
    expect(counts).toContain('← 401 invalid_token on GET /auth/me ×20')
    expect(counts).toContain('← 200 GET /auth/me ×20')

    expect(pageErrors).toEqual([])
  })
})

describe('a session revoked on the server', () => {
  it('shows the session-expired state after one refuse refresh, and no loop of refresh calls', async () => {
    const context = await demo.browser.newContext({ viewport: { width: 390, height: 844 } })
    try {
      const page = await openPage(context, demo.bodyPageUrl)
      await signInAsDemo(page)
      const accessToken = await page.evaluate(
        () =>
          (
            JSON.parse(localStorage.getItem('refresh-kit.tokens') ?? '{}') as {
              accessToken: string
            }
          ).accessToken,
      )
      const { sid } = decodeJwtPayload<{ sid: string }>(accessToken)
      const revoked = await fetch(`${demo.apiUrl}/auth/sessions/${sid}`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${accessToken}` },
      })
      expect(revoked.status).toBe(204)

      const before = demo.refreshCalls()
      await expireLocally(page)
      await page.click('#call-me')
      await page.waitForSelector('#status[data-state="expired"]', { timeout: 20_000 })

      expect(await text(page, '#status')).toBe('Session expired')
      expect(await page.isVisible('#expired-notice')).toBe(true)
      expect(await page.isVisible('#signin-card')).toBe(true)
      expect(await timelineTexts(page)).toContain(
        'Session expired (invalid_refresh_token): tokens cleared, sign in again',
      )
      expect(await page.evaluate(() => localStorage.getItem('refresh-kit.tokens'))).toBeNull()

      // Nothing keeps trying: a reload and a while later, still the one refused refresh.
      await page.reload()
      await page.waitForSelector('body[data-ready="true"]')
      await new Promise((resolve) => setTimeout(resolve, 1500))
      expect(demo.refreshCalls() - before).toBe(1)
      expect(await text(page, '#status')).toBe('Signed out')
    } finally {
      await context.close()
    }
  })
})

describe('what the page explains', () => {
  it('says in a line each, before anyone signs in, what an access token and a refresh token are and why rotation matters', async () => {
    const context = await demo.browser.newContext({ viewport: { width: 1280, height: 800 } })
    try {
      const page = await openPage(context, demo.pageUrl)
      for (const concept of ['access-token', 'refresh-token', 'rotation']) {
        expect(await page.isVisible(`[data-concept="${concept}"]`)).toBe(true)
      }
      const access = await text(page, '[data-concept="access-token"]')
      expect(access).toMatch(/short-lived/)
      expect(access).toMatch(/every API request carries/)
      // The lifetime the server was started with, not a number written into the page.
      expect(access).toContain(`about ${ACCESS_TOKEN_TTL} s`)
      expect(await text(page, '[data-concept="refresh-token"]')).toMatch(
        /long-lived secret sent only to \/auth\/refresh, to get a new access token/,
      )
      expect(await text(page, '[data-concept="rotation"]')).toMatch(
        /swaps the refresh token for a new one.*ends the whole session/,
      )
      // Revocation reaches access tokens: nothing on the page says one outlives its session.
      expect(await page.textContent('body')).not.toMatch(/live on until it expires/)
    } finally {
      await context.close()
    }
  })

  it('signs out everywhere as it says: the access token is refused at once, and the session ends', async () => {
    const context = await demo.browser.newContext({ viewport: { width: 1280, height: 800 } })
    try {
      const page = await openPage(context, demo.bodyPageUrl)
      await signInAsDemo(page)
      expect(await text(page, '#signout-all-hint')).toMatch(
        /refuses this session’s access token at once, not when it expires/,
      )
      const accessToken = await page.evaluate(
        () =>
          (
            JSON.parse(localStorage.getItem('refresh-kit.tokens') ?? '{}') as {
              accessToken: string
            }
          ).accessToken,
      )
      await page.click('#signout-all')
      await page.waitForSelector('#status[data-state="expired"]', { timeout: 20_000 })

      // Refused as revoked (an expired token would be token_expired), well inside its lifetime.
      const me = await fetch(`${demo.apiUrl}/auth/me`, {
        headers: { authorization: `Bearer ${accessToken}` },
      })
      expect(me.status).toBe(401)
      expect(((await me.json()) as { error?: string }).error).toBe('invalid_token')
      expect(await timelineTexts(page)).toContain(
        'Session expired (invalid_refresh_token): tokens cleared, sign in again',
      )
    } finally {
      await context.close()
    }
  })
})
