import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Router } from '@koa/router'
import jwt from 'jsonwebtoken'
import Koa from 'koa'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { createJwksVerifier } from '../../src/access-tokens/jwks-verifier.js'
import { createRemoteJwks } from '../../src/access-tokens/remote-jwks.js'
import type { PrivateJwk } from '../../src/access-tokens/signing-keys.js'
import { type AuthState, requireAuth } from '../../src/http/require-auth.js'
import { createMemoryStore } from '../../src/store/memory-store.js'
import { ALGORITHMS, keyPair, privateJwk, rawSign } from '../access-tokens/fixtures.js'
import { claimChecks, type ManualClock, manualClock } from '../support/harness.js'
import { type ListeningServer, listen, signIn, tokenServerApp } from './token-server.js'

const CONCURRENCY = 1000

/** Another service: one protected route behind requireAuth, listening on a random port. */
async function resourceServer(options: {
  jwksUri: string
  clock?: ManualClock
  cooldownMs?: number
  realm?: string
}) {
  const app = new Koa()
  const router = new Router<AuthState>()
  router.get('/orders', requireAuth({ ...claimChecks, ...options }), (ctx) => {
    ctx.body = { owner: ctx.state.auth.userId, username: ctx.state.auth.username }
  })
  app.use(router.routes())
  const server: Server = createServer(app.callback())
  // 1,000 requests at once must not be refused by the listen backlog.
  await new Promise<void>((resolve) =>
    server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, resolve),
  )
  const { port } = server.address() as AddressInfo
  const get = async (token: string) => {
    const res = await fetch(`http://127.0.0.1:${port}/orders`, {
      headers: { authorization: `Bearer ${token}` },
    })
    return {
      status: res.status,
      body: (await res.json()) as Record<string, unknown>,
      retryAfter: res.headers.get('retry-after'),
      challenge: res.headers.get('www-authenticate'),
    }
  }
  const many = (token: string, count = CONCURRENCY) =>
    Promise.all(Array.from({ length: count }, () => get(token)))
  return {
    get,
    many,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}

const statuses = (results: { status: number }[]) => {
  const counts: Record<number, number> = {}
  for (const { status } of results) counts[status] = (counts[status] ?? 0) + 1
  return counts
}

describe.each(ALGORITHMS)('requireAuth({ jwksUri }) with %s', (algorithm) => {
  it('verifies the token server’s tokens in another app, with no shared secret', async () => {
    const tokenServer = tokenServerApp({ algorithm, signingKeys: [privateJwk(algorithm)] })
    const server = await listen(tokenServer.app)
    const resource = await resourceServer({ jwksUri: server.jwksUri, clock: tokenServer.clock })
    try {
      const { userId, pair } = await signIn(tokenServer.app)
      const res = await resource.get(pair.accessToken)
      expect(res.status).toBe(200)
      expect(res.body.owner).toBe(userId)
      expect(server.jwksRequests()).toBe(1)
    } finally {
      await resource.close()
      await server.close()
    }
  })
})

describe('requireAuth({ jwksUri }) against a live token server', () => {
  const clock = manualClock()
  const store = createMemoryStore({ now: clock })
  const keyA = privateJwk('ES256', { kid: 'key-a' })
  const keyB = privateJwk('ES256', { kid: 'key-b' })
  const keyC = privateJwk('ES256', { kid: 'key-c' })
  const replica = (signingKeys: PrivateJwk[]) =>
    tokenServerApp({ algorithm: 'ES256', signingKeys, clock, store }).app
  let server: ListeningServer
  let resource: Awaited<ReturnType<typeof resourceServer>>

  beforeAll(async () => {
    server = await listen(replica([keyA]))
    resource = await resourceServer({
      jwksUri: server.jwksUri,
      clock,
      cooldownMs: 30_000,
      realm: 'orders',
    })
  })
  afterAll(async () => {
    await resource?.close()
    await server?.close()
  })

  it('fetches the JWKS once for 1,000 concurrent requests, not again while fresh, once more after max-age', async () => {
    const { pair } = await signIn(replica([keyA]))
    const first = await resource.many(pair.accessToken)
    expect(statuses(first)).toEqual({ 200: CONCURRENCY })
    expect(server.jwksRequests()).toBe(1)
    clock.advance(299)
    expect(statuses(await resource.many(pair.accessToken))).toEqual({ 200: CONCURRENCY })
    expect(server.jwksRequests()).toBe(1)
    // Past the token server's max-age=300: answered from the cache at once, one refresh behind.
    clock.advance(2)
    expect(statuses(await resource.many(pair.accessToken))).toEqual({ 200: CONCURRENCY })
    await vi.waitFor(() => expect(server.jwksRequests()).toBe(2))
    expect(statuses(await resource.many(pair.accessToken, 100))).toEqual({ 200: 100 })
    expect(server.jwksRequests()).toBe(2)
  }, 120_000)

  it('answers an unknown kid 401 invalid_token, refetching at most once per cooldown', async () => {
    clock.advance(31)
    const before = server.jwksRequests()
    const forged = rawSign(
      { alg: 'ES256', typ: 'at+jwt', kid: 'made-up' },
      { sub: 'u', sid: 's', iss: 'refresh-kit', aud: 'refresh-kit' },
      keyPair('ES256').privateKey,
      'ES256',
    )
    const results = await resource.many(forged)
    expect(statuses(results)).toEqual({ 401: CONCURRENCY })
    expect(results[0]?.body.error).toBe('invalid_token')
    expect(results[0]?.challenge).toMatch(/^Bearer realm="orders", error="invalid_token"/)
    expect(server.jwksRequests()).toBe(before + 1)
    expect(statuses(await resource.many(forged))).toEqual({ 401: CONCURRENCY })
    clock.advance(29)
    expect((await resource.get(forged)).status).toBe(401)
    expect(server.jwksRequests()).toBe(before + 1)
    clock.advance(2)
    expect((await resource.get(forged)).status).toBe(401)
    expect(server.jwksRequests()).toBe(before + 2)
  })

  it('picks up a rotated-in key on the refetch after the cooldown', async () => {
    clock.advance(5)
    const { pair: old } = await signIn(replica([keyA]))
    // A replica that signs with key-b at once, before resource servers have seen it.
    const rotated = replica([keyA, keyC])
    server.use(rotated)
    const { pair } = await signIn(rotated)
    const before = server.jwksRequests()
    expect((await resource.get(pair.accessToken)).status).toBe(401)
    expect(server.jwksRequests()).toBe(before)
    clock.advance(30)
    expect(statuses(await resource.many(pair.accessToken))).toEqual({ 200: CONCURRENCY })
    expect(server.jwksRequests()).toBe(before + 1)
    expect((await resource.get(old.accessToken)).status).toBe(200)
  })

  it('a key published as "next" first is verified with no refetch once it signs', async () => {
    const before = server.jwksRequests()
    // Step 1: every replica publishes key-b without signing with it.
    const publishing = replica([keyA, keyC, { ...keyB, status: 'next' }])
    server.use(publishing)
    clock.advance(301)
    const { pair: current } = await signIn(publishing)
    expect(jwt.decode(current.accessToken, { complete: true })?.header.kid).toBe('key-c')
    // Past max-age: served from the cache, and the refresh behind it brings key-b.
    expect((await resource.get(current.accessToken)).status).toBe(200)
    await vi.waitFor(() => expect(server.jwksRequests()).toBe(before + 1))
    // Step 2: key-b signs everywhere, well within the cooldown; nobody needs to fetch for it.
    const promoted = replica([keyA, keyC, keyB])
    server.use(promoted)
    const { pair } = await signIn(promoted)
    expect(jwt.decode(pair.accessToken, { complete: true })?.header.kid).toBe('key-b')
    expect(statuses(await resource.many(pair.accessToken))).toEqual({ 200: CONCURRENCY })
    expect(server.jwksRequests()).toBe(before + 1)
  })

  it('stops accepting a retired key once the refreshed set no longer has it', async () => {
    const { pair: old } = await signIn(replica([keyA]))
    expect((await resource.get(old.accessToken)).status).toBe(200)
    // Step 3: key-a is removed from every replica.
    server.use(replica([keyC, keyB]))
    const before = server.jwksRequests()
    clock.advance(301)
    expect((await resource.get(old.accessToken)).status).toBe(200)
    await vi.waitFor(() => expect(server.jwksRequests()).toBe(before + 1))
    await vi.waitFor(async () => {
      const res = await resource.get(old.accessToken)
      expect(res.status).toBe(401)
      expect(res.body.error).toBe('invalid_token')
    })
  })

  it('keeps verifying with a cached key through a JWKS outage; with no key, 503 with Retry-After', async () => {
    const { pair } = await signIn(replica([keyC, keyB]))
    const outage = await listen(replica([keyC, keyB]))
    const cold = await resourceServer({ jwksUri: outage.jwksUri, clock, cooldownMs: 30_000 })
    await outage.close()
    const serverDown = await listen(replica([keyC, keyB]))
    const warm = await resourceServer({ jwksUri: serverDown.jwksUri, clock, cooldownMs: 30_000 })
    try {
      expect((await warm.get(pair.accessToken)).status).toBe(200)
      await serverDown.close()
      clock.advance(600)
      // Stale and unrefreshable: the cached key still answers.
      expect(statuses(await warm.many(pair.accessToken, 100))).toEqual({ 200: 100 })

      const results = await cold.many(pair.accessToken, 100)
      expect(statuses(results)).toEqual({ 503: 100 })
      expect(results[0]?.body.error).toBe('service_unavailable')
      expect(Number(results[0]?.retryAfter)).toBeGreaterThanOrEqual(1)
      expect(results[0]?.challenge).toBeNull()
    } finally {
      await warm.close()
      await cold.close()
    }
  })
})

describe('createJwksVerifier', () => {
  const claims = { sub: 'u', sid: 's', jti: 'j', iat: 1, exp: 2, username: 'ada' }
  const countingFetch = () => {
    const calls: string[] = []
    const fetch = (async (input: string | URL | Request) => {
      calls.push(String(input))
      throw new Error('no network in this test')
    }) as typeof globalThis.fetch
    return { calls, fetch }
  }

  it('refuses alg none, HS256 and tokens without kid before any fetch', async () => {
    const { calls, fetch } = countingFetch()
    const verifier = createJwksVerifier({
      ...claimChecks,
      jwksUri: 'https://auth.example/jwks.json',
      fetch,
    })
    const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url')
    for (const token of [
      `${b64({ alg: 'none', kid: 'k' })}.${b64(claims)}.`,
      `${b64({ alg: 'HS256', typ: 'at+jwt', kid: 'k' })}.${b64(claims)}.c2ln`,
      rawSign({ alg: 'ES256', typ: 'at+jwt' }, claims, keyPair('ES256').privateKey, 'ES256'),
      'not-a-jwt',
    ]) {
      await expect(verifier.verifyAccessToken(token)).rejects.toMatchObject({
        code: 'invalid_token',
      })
    }
    expect(calls).toEqual([])
  })

  it('refuses a token whose alg is not the alg of the key its kid names', async () => {
    const { privateKey, publicKey } = keyPair('ES256')
    const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'ec', alg: 'ES256', use: 'sig' }
    const fetch = (async () =>
      new Response(JSON.stringify({ keys: [jwk] }), {
        headers: { 'content-type': 'application/json' },
      })) as typeof globalThis.fetch
    const verifier = createJwksVerifier({
      ...claimChecks,
      jwksUri: 'https://auth.example/jwks.json',
      fetch,
    })
    const now = Math.floor(Date.now() / 1000)
    const good = { ...claims, iss: 'refresh-kit', aud: 'refresh-kit', iat: now, exp: now + 60 }
    await expect(
      verifier.verifyAccessToken(
        rawSign({ alg: 'ES256', typ: 'at+jwt', kid: 'ec' }, good, privateKey, 'ES256'),
      ),
    ).resolves.toMatchObject({ userId: 'u' })
    const rsa = keyPair('RS256').privateKey
    await expect(
      verifier.verifyAccessToken(
        rawSign({ alg: 'RS256', typ: 'at+jwt', kid: 'ec' }, good, rsa, 'RS256'),
      ),
    ).rejects.toMatchObject({ code: 'invalid_token' })
  })

  it('refuses bad options with a TypeError naming them', () => {
    // @ts-expect-error: the JWKS address is required
    expect(() => createRemoteJwks({})).toThrow(/options.jwksUri/)
    expect(() => createRemoteJwks({ jwksUri: 'ftp://auth.example/jwks' })).toThrow(
      /options.jwksUri/,
    )
    expect(() =>
      createRemoteJwks({ jwksUri: 'https://a.example/j', algorithms: ['HS256' as 'ES256'] }),
    ).toThrow(/options.algorithms/)
    expect(() => createRemoteJwks({ jwksUri: 'https://a.example/j', cooldownMs: -1 })).toThrow(
      /options.cooldownMs/,
    )
    expect(() =>
      createJwksVerifier({ ...claimChecks, jwksUri: 'https://a.example/j', issuer: '' }),
    ).toThrow(/options.issuer/)
    expect(() =>
      // @ts-expect-error: a verifier and a JWKS exclude each other
      requireAuth({
        ...claimChecks,
        jwksUri: 'https://a.example/j',
        verifier: {
          verifyAccessToken: () => {
            throw new Error()
          },
        },
      }),
    ).toThrow(/not both/)
  })
})
