import { describe, expect, it } from 'vitest'
import { isAuthError } from '../../src/errors.js'
import {
  type CookiePolicy,
  type CookieRequest,
  decideCookieUse,
  rejectCookieForgery,
} from '../../src/http/csrf.js'

const SERVER = 'http://localhost:3000'
const PAGE = 'http://localhost:5173'

/** A request that reached the server at localhost:3000 over plain HTTP with these headers. */
function request(
  headers: Record<string, string>,
  reached = { protocol: 'http', host: 'localhost:3000' },
): CookieRequest {
  const byName = new Map(
    Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]),
  )
  return { header: (name) => byName.get(name.toLowerCase()) ?? '', ...reached }
}

const COOKIE = { 'X-Refresh-Token-Transport': 'cookie' }
const direct = (allowed: string[] = []): CookiePolicy => ({
  allowedOrigins: new Set(allowed),
  proxy: { trustedHops: 0 },
})

describe('the CSRF rule of the refresh cookie', () => {
  it('refuses a request without the transport header, or one that asks for the body, and says which header to send', () => {
    for (const headers of [{}, { Origin: SERVER }, { 'X-Refresh-Token-Transport': 'body' }]) {
      expect(decideCookieUse(request(headers), direct())).toEqual({
        allowed: false,
        reason: 'transport-header',
        message:
          'a request authenticated by the refresh cookie must send X-Refresh-Token-Transport: cookie',
      })
    }
  })

  it('answers 400 invalid_request for a transport header that is neither cookie nor body', () => {
    const bad = request({ 'X-Refresh-Token-Transport': 'cookies' })
    expect(() => decideCookieUse(bad, direct())).toThrow(
      expect.objectContaining({ code: 'invalid_request', status: 400 }),
    )
  })

  it('allows the server’s own origin, the header read in any case', () => {
    expect(decideCookieUse(request({ ...COOKIE, Origin: SERVER }), direct())).toEqual({
      allowed: true,
    })
    const shouted = request({ 'x-refresh-token-transport': ' COOKIE ', origin: SERVER })
    expect(decideCookieUse(shouted, direct())).toEqual({ allowed: true })
  })

  it('allows a cross origin listed in CORS_ORIGINS', () => {
    const decision = decideCookieUse(request({ ...COOKIE, Origin: PAGE }), direct([PAGE]))
    expect(decision).toEqual({ allowed: true })
  })

  it('refuses any other origin, same host on another port or scheme included', () => {
    for (const origin of [
      'https://evil.example',
      'http://localhost:5174',
      'https://localhost:3000',
      'null',
    ]) {
      const decision = decideCookieUse(request({ ...COOKIE, Origin: origin }), direct([PAGE]))
      expect(decision, origin).toMatchObject({
        allowed: false,
        reason: 'origin',
        origin,
        ownOrigin: SERVER,
      })
    }
  })

  it('says which origin came, which the server expects, and that CORS_ORIGINS is where to add it, on one line', () => {
    const none = decideCookieUse(request({ ...COOKIE, Origin: PAGE }), direct())
    expect(none.allowed === false && none.message).toBe(
      'this origin may not use the refresh cookie: the request came from http://localhost:5173 ' +
        'and the server expects http://localhost:3000 or an origin listed in CORS_ORIGINS (none ' +
        "is); a dev proxy that rewrites Host needs the page's origin in CORS_ORIGINS",
    )
    const allowed = ['https://app.example.com', 'https://admin.example.com']
    const some = decideCookieUse(
      request({ ...COOKIE, Origin: 'https://evil.example' }),
      direct(allowed),
    )
    const message = some.allowed === false ? some.message : ''
    expect(message).toContain(
      'the request came from https://evil.example and the server expects http://localhost:3000 or one of the 2 origins listed in CORS_ORIGINS',
    )
    // Counted, not listed: an origin the server refuses learns no other that it allows.
    for (const origin of allowed) expect(message).not.toContain(origin)
    const long = decideCookieUse(
      request({ ...COOKIE, Origin: `https://${'a'.repeat(5000)}.example` }),
      direct(),
    )
    const cut = long.allowed === false ? long.message : ''
    expect(cut.length).toBeLessThan(500)
    expect(cut).not.toMatch(/[\r\n]/)
  })

  it('lets a request without Origin through on the transport header alone, whatever its Referer says', () => {
    for (const referer of [`${SERVER}/app`, `${PAGE}/login`, 'https://evil.example/form']) {
      expect(decideCookieUse(request({ ...COOKIE, Referer: referer }), direct()), referer).toEqual({
        allowed: true,
      })
      expect(decideCookieUse(request({ Referer: referer }), direct())).toMatchObject({
        allowed: false,
        reason: 'transport-header',
      })
    }
  })

  it('lets a request with neither Origin nor Referer through with the header, and refuses it without', () => {
    expect(decideCookieUse(request(COOKIE), direct())).toEqual({ allowed: true })
    expect(decideCookieUse(request({}), direct())).toMatchObject({ allowed: false })
  })

  describe('behind trusted proxies (TRUST_PROXY)', () => {
    const internal = { protocol: 'http', host: 'api.internal:8080' }
    const public_ = 'https://app.example.test'
    const forwarded = {
      ...COOKIE,
      Origin: public_,
      'X-Forwarded-Host': 'app.example.test',
      'X-Forwarded-Proto': 'https',
    }

    it('takes the host and protocol the trusted proxy forwarded as the server’s own origin', () => {
      const behindOne: CookiePolicy = { allowedOrigins: new Set(), proxy: { trustedHops: 1 } }
      expect(decideCookieUse(request(forwarded, internal), behindOne)).toEqual({ allowed: true })
      const rfc7239: CookiePolicy = {
        allowedOrigins: new Set(),
        proxy: { trustedHops: 1, header: 'forwarded' },
      }
      const standard = {
        ...COOKIE,
        Origin: public_,
        Forwarded: 'for=203.0.113.9;host=app.example.test;proto=https',
      }
      expect(decideCookieUse(request(standard, internal), rfc7239)).toEqual({ allowed: true })
      // The proxy writes Forwarded: X-Forwarded-Host is the client's own words.
      expect(decideCookieUse(request(forwarded, internal), rfc7239)).toMatchObject({
        allowed: false,
        ownOrigin: 'http://api.internal:8080',
      })
    })

    it('ignores forwarded headers when no proxy is trusted, and says which origin it expected instead', () => {
      const decision = decideCookieUse(request(forwarded, internal), direct())
      expect(decision).toMatchObject({
        allowed: false,
        reason: 'origin',
        ownOrigin: 'http://api.internal:8080',
      })
      expect(decision.allowed === false && decision.message).toContain(
        'the request came from https://app.example.test and the server expects http://api.internal:8080',
      )
    })

    it('reads the forwarded host from the trusted end, never the left-most value a client wrote', () => {
      const forged = {
        ...COOKIE,
        Origin: 'https://evil.example',
        'X-Forwarded-Host': 'evil.example, app.example.test',
        'X-Forwarded-Proto': 'https',
      }
      const behindOne: CookiePolicy = { allowedOrigins: new Set(), proxy: { trustedHops: 1 } }
      expect(decideCookieUse(request(forged, internal), behindOne)).toMatchObject({
        allowed: false,
        ownOrigin: public_,
      })
      const genuine = { ...forged, Origin: public_ }
      expect(decideCookieUse(request(genuine, internal), behindOne)).toEqual({ allowed: true })
    })
  })

  it('is enforced as 403 csrf_rejected carrying the decision’s message', () => {
    let thrown: unknown
    try {
      rejectCookieForgery(request({ ...COOKIE, Origin: PAGE }), direct())
    } catch (error) {
      thrown = error
    }
    expect(isAuthError(thrown)).toBe(true)
    expect(thrown).toMatchObject({ code: 'csrf_rejected', status: 403 })
    expect((thrown as Error).message).toContain('the request came from http://localhost:5173')
    expect(() =>
      rejectCookieForgery(request({ ...COOKIE, Origin: SERVER }), direct()),
    ).not.toThrow()
  })
})
