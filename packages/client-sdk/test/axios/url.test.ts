import type { InternalAxiosRequestConfig } from 'axios'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { memoizeByURL, requestURL } from '../../src/axios/url.js'

type Request = {
  baseURL?: string | undefined
  url?: string
  allowAbsoluteUrls?: boolean | undefined
}
const config = (request: Request) => request as InternalAxiosRequestConfig
const describeURL = (url: URL | null) => (url === null ? null : `${url.origin}${url.pathname}`)
const createMemo = () => memoizeByURL(describeURL)
const where = (memo: ReturnType<typeof createMemo>, request: Request) => memo(config(request))
const reference = (request: Request) => {
  const url = requestURL(config(request))
  return url === null ? null : `${url.origin}${url.pathname}`
}

const BASES = [
  'https://api.example.com',
  'https://api.example.com/',
  'https://api.example.com///',
  'https://api.example.com/v1',
  'https://api.example.com/v1/',
  'https://api.example.com/v1/..',
  'https://api.example.com/v1/.',
  'https://api.example.com/v%2e%2e',
  'https://api.example.com:443/v1',
  'http://api.example.com:8080',
  'HTTPS://API.EXAMPLE.COM/V1',
  'https://api.example.com?x=1',
  'https://api.example.com#top',
  'https://user:pass@api.example.com',
  'https://api.example.com@evil.example',
  'https://api.example.com\\@evil.example',
  'https://api.example.com\\',
  'https:api.example.com',
  'https:',
  'https://',
  'https:\\\\',
  'https:/\\',
  ' https://api.example.com',
  'https://api.exa\tmple.com',
  'file:///srv',
  'ws://api.example.com',
  'blob:https://api.example.com/1',
  'blob:https:',
  'mailto:someone',
  '/api',
  '//api.example.com',
  'api',
  '',
  undefined,
]

const URLS = [
  '',
  '/',
  'auth/me',
  '/auth/me',
  '///auth/me',
  '/auth/refresh',
  '/auth/refresh?x=1',
  '/auth/refresh#x',
  '/auth/refresh/',
  '/auth//refresh',
  '/auth/./refresh',
  '/auth/x/../refresh',
  '/auth/%2e/refresh',
  '/auth/%2E%2E/auth/refresh',
  '/auth/.hidden/..refresh/.../a.b',
  '.',
  '..',
  '/..',
  '/auth/refresh/.',
  '/auth\\refresh',
  '\\evil.example/x',
  '\\\\evil.example/x',
  '/\\evil.example/x',
  '/au\tth/refresh',
  '/auth/refresh\n',
  '/auth/refresh ',
  ' /auth/refresh',
  '/a b',
  '/ünïcode',
  '/a"b<c>`{d}^|',
  "/a!$&'()*+,;=:@~_-",
  '?only=query',
  '#only-hash',
  '@evil.example/x',
  ':@evil.example/x',
  'https://api.example.com',
  'https://api.example.com/auth/refresh',
  'https://api.example.com?x',
  'https://api.example.com#x',
  'https://api.example.com\\auth\\refresh',
  'https://api.example.com//auth/me',
  'HTTPS://API.EXAMPLE.COM/auth/refresh',
  'https://api.example.com@evil.example/x',
  'https://api.example.com:@evil.example/x',
  'https://user:pa/ss@evil.example/x',
  'https://api.example.com%2f@evil.example/x',
  'https://evil.example/auth/me',
  'http://evil.example',
  'http://api.example.com/auth/me',
  '//evil.example/x',
  '//evil.example',
  '/\\evil.example',
  'https:///evil.example/x',
  'https://\\evil.example/x',
  'https://api.example.com:8443/x',
  'https://api.example.com:99999/x',
  '//api.example.com/auth/me',
  'https:/\\evil.example/x',
  'https:evil.example/x',
  'ws://api.example.com/x',
  'file:///etc/passwd',
  'file://C:/x',
  'javascript:alert(1)',
]

describe('memoizeByURL', () => {
  afterEach(() => {
    vi.unstubAllGlobals()
  })

  /** Counts the URLs parsed from now on (the memo's and the reference's alike). */
  function countParses(): { count: number } {
    const parses = { count: 0 }
    const Real = URL
    vi.stubGlobal(
      'URL',
      class extends Real {
        constructor(url: string | URL, base?: string | URL) {
          super(url, base)
          parses.count += 1
        }
      },
    )
    return parses
  }

  it.each([true, false, undefined])(
    'answers every base and URL as a full parse does, the first time and when remembered (allowAbsoluteUrls %s)',
    (allowAbsoluteUrls) => {
      const memo = createMemo()
      for (const pass of [1, 2]) {
        for (const baseURL of BASES) {
          for (const url of URLS) {
            const request = { baseURL, url, allowAbsoluteUrls }
            expect(
              where(memo, request),
              `pass ${pass}: ${JSON.stringify(baseURL)} + ${JSON.stringify(url)}`,
            ).toBe(reference(request))
          }
        }
      }
    },
  )

  it('answers as a full parse against the page in browsers, through navigation', () => {
    const location = { href: 'https://app.example.com/app/page' }
    vi.stubGlobal('location', location)
    const memo = createMemo()
    for (const href of [location.href, 'https://app.example.com/other/deeper/page']) {
      location.href = href
      for (const baseURL of BASES) {
        for (const url of URLS) {
          const request = { baseURL, url }
          expect(where(memo, request), `${href}: ${baseURL} + ${url}`).toBe(reference(request))
        }
      }
    }
  })

  it('never remembers a URL that follows the page path', () => {
    const location = { href: 'https://app.example.com/app/page' }
    vi.stubGlobal('location', location)
    const memo = createMemo()
    const requests = [
      { baseURL: 'api', url: 'auth/refresh' },
      { url: 'auth/refresh' },
      { url: 'https:auth/refresh' },
    ]
    const expected = (page: string, request: Request) =>
      `https://app.example.com${page}${request.baseURL === undefined ? '' : 'api/'}auth/refresh`
    for (const request of requests) {
      expect(where(memo, request)).toBe(expected('/app/', request))
    }
    location.href = 'https://app.example.com/other/deeper/page'
    for (const request of requests) {
      expect(where(memo, request)).toBe(expected('/other/deeper/', request))
    }
    // Rooted at the page's origin: the same on every page, so remembered.
    const parses = countParses()
    expect(where(memo, { baseURL: '/api', url: 'me' })).toBe('https://app.example.com/api/me')
    location.href = 'https://app.example.com/app/page'
    expect(where(memo, { baseURL: '/api', url: 'me' })).toBe('https://app.example.com/api/me')
    expect(parses.count).toBe(1)
  })

  it('parses a URL once, not every request to it', () => {
    const memo = createMemo()
    const parses = countParses()
    for (let i = 0; i < 100; i += 1) {
      expect(where(memo, { baseURL: 'https://api.example.com/v1', url: '/auth/me' })).toBe(
        'https://api.example.com/v1/auth/me',
      )
      expect(
        where(memo, {
          baseURL: 'https://api.example.com/v1',
          url: 'https://cdn.example.com/a.png',
        }),
      ).toBe('https://cdn.example.com/a.png')
      expect(where(memo, { url: 'https://api.example.com/auth/refresh' })).toBe(
        'https://api.example.com/auth/refresh',
      )
    }
    expect(parses.count).toBe(3)
    // allowAbsoluteUrls: false is rare enough to be parsed every time.
    where(memo, { baseURL: 'https://api.example.com', url: '/auth/me', allowAbsoluteUrls: false })
    where(memo, { baseURL: 'https://api.example.com', url: '/auth/me', allowAbsoluteUrls: false })
    expect(parses.count).toBe(5)
  })

  it('never answers a request from what a request with allowAbsoluteUrls: false was told', () => {
    const memo = createMemo()
    const glued = { baseURL: 'https://api.example.com', url: 'https://evil.example/x' }
    expect(where(memo, { ...glued, allowAbsoluteUrls: false })).toBe(
      'https://api.example.com/https://evil.example/x',
    )
    expect(where(memo, glued)).toBe('https://evil.example/x')
    expect(where(memo, { ...glued, allowAbsoluteUrls: false })).toBe(
      'https://api.example.com/https://evil.example/x',
    )
  })

  it('keeps a bounded number of answers', () => {
    const memo = memoizeByURL(describeURL, 8)
    const parses = countParses()
    for (let i = 0; i < 20; i += 1) {
      expect(where(memo, { baseURL: 'https://api.example.com', url: `/users/${i}` })).toBe(
        `https://api.example.com/users/${i}`,
      )
    }
    expect(parses.count).toBe(20)
    // Answers 16 to 19 are kept since the memo was last emptied, at 16; answer 0 is long gone.
    where(memo, { baseURL: 'https://api.example.com', url: '/users/19' })
    expect(parses.count).toBe(20)
    expect(where(memo, { baseURL: 'https://api.example.com', url: '/users/0' })).toBe(
      'https://api.example.com/users/0',
    )
    expect(parses.count).toBe(21)
  })
})

describe('a page with <base href>', () => {
  afterEach(() => {
    vi.unstubAllGlobals()
  })

  it('resolves relative URLs against document.baseURI, as the browser sends them, and follows a base that changes', () => {
    vi.stubGlobal('location', { href: 'https://app.example.com/app/page' })
    const document = { baseURI: 'https://app.example.com/app/page' }
    vi.stubGlobal('document', document)
    const memo = createMemo()
    expect(where(memo, { baseURL: '/api', url: 'me' })).toBe('https://app.example.com/api/me')
    document.baseURI = 'https://evil.example/'
    expect(where(memo, { baseURL: '/api', url: 'me' })).toBe('https://evil.example/api/me')
    expect(reference({ baseURL: '/api', url: 'me' })).toBe('https://evil.example/api/me')
  })
})
