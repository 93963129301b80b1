import { generateKeyPairSync } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { createRemoteJwks, type RemoteJwks } from '../../src/access-tokens/remote-jwks.js'
import { manualClock } from '../support/harness.js'
import { keyPair } from './fixtures.js'

const URI = 'https://auth.example/.well-known/jwks.json'

interface Answer {
  status?: number
  body?: unknown
  headers?: Record<string, string>
}

/** A JWKS endpoint in a function: answers from a queue, records each request's headers. */
function stubEndpoint(...answers: (Answer | Error)[]) {
  const requests: Headers[] = []
  const fetch = (async (_input: string | URL | Request, init?: RequestInit) => {
    requests.push(new Headers(init?.headers))
    const answer = answers.length > 1 ? answers.shift() : answers[0]
    if (answer === undefined || answer instanceof Error) throw answer ?? new Error('no answer')
    return new Response(answer.status === 304 ? null : JSON.stringify(answer.body), {
      status: answer.status ?? 200,
      headers: { 'content-type': 'application/json', ...answer.headers },
    })
  }) as typeof globalThis.fetch
  return { fetch, requests }
}

const ecJwk = (kid: string, extra: Record<string, unknown> = {}) => ({
  ...keyPair('ES256').publicKey.export({ format: 'jwk' }),
  kid,
  ...extra,
})

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
    return 'found'
  } catch (error) {
    return (error as { code?: string }).code ?? String(error)
  }
}

/** Waits for the refresh in flight: an unknown kid joins it, and the cooldown stops a second. */
async function landed(jwks: RemoteJwks): Promise<void> {
  expect(await codeOf(jwks.getKey('not-in-any-set'))).toBe('invalid_token')
}

describe('createRemoteJwks', () => {
  it('honours Cache-Control max-age, and falls back to cacheMaxAgeMs without it', async () => {
    const clock = manualClock()
    const keys = { keys: [ecJwk('a', { alg: 'ES256', use: 'sig' })] }
    const endpoint = stubEndpoint(
      { body: keys, headers: { 'cache-control': 'public, max-age=60' } },
      { body: keys },
      { body: keys },
    )
    const jwks = createRemoteJwks({ jwksUri: URI, fetch: endpoint.fetch, clock, cooldownMs: 1000 })
    await jwks.getKey('a')
    clock.advance(59)
    await jwks.getKey('a')
    expect(endpoint.requests).toHaveLength(1)
    clock.advance(2)
    await jwks.getKey('a') // stale: answered, and one refresh behind it
    expect(endpoint.requests).toHaveLength(2)
    await landed(jwks)
    // The second answer had no Cache-Control: fresh for the default cacheMaxAgeMs (5 minutes).
    clock.advance(299)
    await jwks.getKey('a')
    expect(endpoint.requests).toHaveLength(2)
    clock.advance(2)
    await jwks.getKey('a')
    expect(endpoint.requests).toHaveLength(3)
  })

  it('revalidates with If-None-Match and keeps its keys on 304', async () => {
    const clock = manualClock()
    const endpoint = stubEndpoint(
      { body: { keys: [ecJwk('a')] }, headers: { etag: '"v1"', 'cache-control': 'max-age=60' } },
      { status: 304, headers: { etag: '"v1"', 'cache-control': 'max-age=60' } },
    )
    const jwks = createRemoteJwks({ jwksUri: URI, fetch: endpoint.fetch, clock })
    const first = await jwks.getKey('a')
    clock.advance(61)
    await jwks.getKey('a')
    await landed(jwks)
    expect(endpoint.requests.map((headers) => headers.get('if-none-match'))).toEqual([null, '"v1"'])
    expect((await jwks.getKey('a')).key).toBe(first.key)
    expect(await codeOf(jwks.getKey('b'))).toBe('invalid_token')
  })

  it('skips keys it cannot use instead of failing the whole set', async () => {
    const weakRsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey
    const endpoint = stubEndpoint({
      body: {
        keys: [
          ecJwk('enc', { use: 'enc' }),
          ecJwk('hs', { alg: 'HS256' }),
          ecJwk('wrong-alg', { alg: 'RS256' }),
          { ...weakRsa.export({ format: 'jwk' }), kid: 'weak' },
          { kty: 'oct', k: 'c2VjcmV0', kid: 'secret' },
          { kty: 'EC', crv: 'P-256', x: 'bad', y: 'bad', kid: 'broken' },
          ecJwk(''),
          'not a key',
          ecJwk('good'),
          { ...generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' }), kid: 'ed' },
        ],
      },
    })
    const jwks = createRemoteJwks({ jwksUri: URI, fetch: endpoint.fetch, algorithms: ['ES256'] })
    expect(await jwks.getKey('good')).toMatchObject({ kid: 'good', algorithm: 'ES256' })
    for (const kid of ['enc', 'hs', 'wrong-alg', 'weak', 'secret', 'broken', 'ed']) {
      expect(await codeOf(jwks.getKey(kid))).toBe('invalid_token')
    }
    expect(endpoint.requests).toHaveLength(1)
  })

  it('answers service_unavailable when the set cannot be had: refused, not JSON, not a set, or an error status', async () => {
    for (const answer of [
      new Error('connect ECONNREFUSED'),
      { status: 500, body: { error: 'internal_error' } },
      { body: 'not a key set' },
      { body: { keys: 'nope' } },
    ]) {
      const clock = manualClock()
      const endpoint = stubEndpoint(answer)
      const jwks = createRemoteJwks({
        jwksUri: URI,
        fetch: endpoint.fetch,
        clock,
        cooldownMs: 30_000,
      })
      const failure = await jwks.getKey('a').catch((error: unknown) => error)
      expect(failure).toMatchObject({ code: 'service_unavailable', retryAfterSeconds: 30 })
      // Within the cooldown, nothing more is asked of the endpoint.
      clock.advance(10)
      expect(await jwks.getKey('a').catch((error: unknown) => error)).toMatchObject({
        code: 'service_unavailable',
        retryAfterSeconds: 20,
      })
      expect(endpoint.requests).toHaveLength(1)
    }
  })

  it('gives up on a fetch that does not answer within timeoutMs', async () => {
    const hanging = (async (_input: string | URL | Request, init?: RequestInit) =>
      new Promise<Response>((_resolve, reject) => {
        init?.signal?.addEventListener('abort', () => reject(init.signal?.reason))
      })) as typeof globalThis.fetch
    const jwks = createRemoteJwks({ jwksUri: URI, fetch: hanging, timeoutMs: 50 })
    expect(await codeOf(jwks.getKey('a'))).toBe('service_unavailable')
  })
})
