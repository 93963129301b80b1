import { useTestRedis } from '@refresh-kit/testing'
import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  eventually,
  expireLocally,
  openPage,
  pageErrors,
  type RunningDemo,
  signInAsDemo,
  startDemo,
  timelineTexts,
} from './harness.js'

const redis = useTestRedis('demo-tabs')
let demo: RunningDemo

beforeAll(async () => {
  demo = await startDemo(redis)
})
afterAll(async () => {
  await demo?.close()
})

const text = async (page: Page, selector: string) =>
  (await page.textContent(selector))?.trim() ?? ''
const storedAccessToken = (page: Page) =>
  page.evaluate(
    () =>
      (
        JSON.parse(localStorage.getItem('refresh-kit.tokens') ?? 'null') as {
          accessToken: string
        } | null
      )?.accessToken ?? null,
  )

describe('two tabs of one browser', () => {
  let context: BrowserContext
  let a: Page
  let b: Page
  beforeAll(async () => {
    context = await demo.browser.newContext({ viewport: { width: 1280, height: 800 } })
    a = await openPage(context, demo.bodyPageUrl)
    await signInAsDemo(a)
    // The second tab opens on the tokens the first one stored.
    b = await openPage(context, demo.bodyPageUrl)
    await b.waitForSelector('#status[data-state="signed-in"]')
  })
  afterAll(async () => {
    await context?.close()
  })

  it('share one refresh when both find the token expired: one request reaches the server, both end with its tokens', async () => {
    const firstToken = await storedAccessToken(a)
    await expireLocally(a)
    await eventually(
      async () => (await b.getAttribute('#countdown', 'data-level')) === 'expired',
      'tab B to see the expiry',
    )

    const before = demo.refreshCalls()
    // The server answers no refresh until both tabs have started theirs: they surely overlap.
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

    // The lock let one refresh through; the other tab adopted its tokens instead.
    expect(demo.refreshCalls() - before).toBe(1)
    const adopted = [a, b].map(async (page) =>
      (await timelineTexts(page)).includes(
        'Picked up the tokens another tab stored (generation 1)',
      ),
    )
    expect((await Promise.all(adopted)).filter(Boolean)).toHaveLength(1)

    const stored = await storedAccessToken(a)
    expect(stored).not.toBe(firstToken)
    expect(await storedAccessToken(b)).toBe(stored)
    expect(await text(a, '[data-claim="jti"]')).toBe(await text(b, '[data-claim="jti"]'))
    expect(await text(a, '#generation')).toBe('generation 1')
    expect(await text(b, '#generation')).toBe('generation 1')
  })

  it('sign out in one tab signs the other out', async () => {
    await a.click('#signout')
    await a.waitForSelector('#status[data-state="signed-out"]')
    // Generous on purpose: the claim is "promptly", measured by eye, not a timing assertion.
    await b.waitForSelector('#status[data-state="signed-out"]', { timeout: 10_000 })
    expect(await text(b, '#status')).toBe('Signed out')
    expect(await b.isVisible('#signin-card')).toBe(true)
    expect(await timelineTexts(b)).toContain('Signed out')
    expect(pageErrors).toEqual([])
  })
})
