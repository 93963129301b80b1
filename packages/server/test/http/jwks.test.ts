import { createHmac, createPublicKey, verify } from 'node:crypto'
import jwt from 'jsonwebtoken'
import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config/load.js'
import { silentLogger } from '../../src/logger.js'
import { createServerFromConfig } from '../../src/server.js'
import { ALGORITHMS, PRIVATE_MEMBERS, privateJwk } from '../access-tokens/fixtures.js'
import { cheapPasswords } from '../support/harness.js'
import { signIn, tokenServerApp } from './token-server.js'

const PUBLIC_MEMBERS = { EC: ['crv', 'x', 'y'], RSA: ['n', 'e'] } as const

describe.each(ALGORITHMS)('GET /.well-known/jwks.json with %s', (algorithm) => {
  const signingKeys = [
    privateJwk(algorithm, { kid: 'old' }),
    privateJwk(algorithm, { kid: 'current' }),
    privateJwk(algorithm, { kid: 'upcoming', status: 'next' }),
  ]
  const { app } = tokenServerApp({ algorithm, signingKeys })
  const http = request(app.callback())

  it('publishes every key of the set, public members only, cacheable', async () => {
    const res = await http.get('/.well-known/jwks.json')
    expect(res.status).toBe(200)
    expect(res.headers['content-type']).toMatch(/^application\/json/)
    expect(res.headers['cache-control']).toBe('public, max-age=300')
    expect(res.headers.etag).toMatch(/^"[A-Za-z0-9_-]{27}"$/)
    const keys = res.body.keys as Record<string, unknown>[]
    expect(keys.map((key) => key.kid)).toEqual(['old', 'current', 'upcoming'])
    for (const key of keys) {
      for (const member of PRIVATE_MEMBERS) expect(key).not.toHaveProperty(member)
      expect(res.text).not.toMatch(/"(d|p|q|dp|dq|qi|status)"/)
      const kty = key.kty as keyof typeof PUBLIC_MEMBERS
      expect(Object.keys(key).sort()).toEqual(
        ['kty', 'kid', 'alg', 'use', ...PUBLIC_MEMBERS[kty]].sort(),
      )
      expect(key).toMatchObject({ alg: algorithm, use: 'sig' })
    }
  })

  it('answers 304 to If-None-Match with the current ETag', async () => {
    const first = await http.get('/.well-known/jwks.json')
    const again = await http
      .get('/.well-known/jwks.json')
      .set('If-None-Match', String(first.headers.etag))
    expect(again.status).toBe(304)
    expect(again.text).toBe('')
    const stale = await http.get('/.well-known/jwks.json').set('If-None-Match', '"something-else"')
    expect(stale.status).toBe(200)
  })

  it('signs logins with the newest active key; the published key verifies them', async () => {
    const { userId, pair } = await signIn(app)
    const header = jwt.decode(pair.accessToken, { complete: true })?.header
    expect(header).toMatchObject({ alg: algorithm, kid: 'current', typ: 'at+jwt' })
    const me = await http.get('/auth/me').set('Authorization', `Bearer ${pair.accessToken}`)
    expect(me.status).toBe(200)
    expect(me.body.id).toBe(userId)
    const jwks = await http.get('/.well-known/jwks.json')
    const published = (jwks.body.keys as { kid: string }[]).find((key) => key.kid === 'current')
    const key = createPublicKey({ key: { ...published }, format: 'jwk' })
    // An independent check of the signature with the published key alone.
    const [head, payload, signature] = pair.accessToken.split('.') as [string, string, string]
    const ok = verify(
      'sha256',
      Buffer.from(`${head}.${payload}`),
      algorithm === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' } : key,
      Buffer.from(signature, 'base64url'),
    )
    expect(ok).toBe(true)
  })
})

describe.each(ALGORITHMS)('protected routes of a token server on %s', (algorithm) => {
  const { app } = tokenServerApp({ algorithm, signingKeys: [privateJwk(algorithm, { kid: 'k' })] })
  const http = request(app.callback())
  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')

  it('refuse HS256 keyed with the published public key (PEM and JWK) and alg none: 401 invalid_token', async () => {
    const { pair } = await signIn(app)
    const claims = jwt.decode(pair.accessToken) as object
    const published = (await http.get('/.well-known/jwks.json')).body.keys[0]
    const pem = createPublicKey({ key: { ...published }, format: 'jwk' })
      .export({ format: 'pem', type: 'spki' })
      .toString()
    const forged = [pem, JSON.stringify(published)].map((secret) => {
      const body = `${b64({ alg: 'HS256', typ: 'at+jwt', kid: 'k' })}.${b64(claims)}`
      return `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`
    })
    forged.push(`${b64({ alg: 'none', typ: 'at+jwt', kid: 'k' })}.${b64(claims)}.`)
    for (const token of forged) {
      const res = await http.get('/auth/me').set('Authorization', `Bearer ${token}`)
      expect(res.status).toBe(401)
      expect(res.body.error).toBe('invalid_token')
      expect(res.headers['www-authenticate']).toMatch(/error="invalid_token"/)
    }
    // Control: the genuine token still passes.
    const me = await http.get('/auth/me').set('Authorization', `Bearer ${pair.accessToken}`)
    expect(me.status).toBe(200)
  })
})

describe('GET /.well-known/jwks.json with HS256', () => {
  it('is 404 not_found: there is no public key to publish', async () => {
    const { app } = tokenServerApp({ algorithm: 'HS256' })
    const res = await request(app.callback()).get('/.well-known/jwks.json')
    expect(res.status).toBe(404)
    expect(res.body.error).toBe('not_found')
  })
})

describe('createServerFromConfig with JWT_KEYS_FILE', () => {
  it('signs with the key set of the file and publishes it', async () => {
    const file = {
      keys: [privateJwk('ES256', { kid: 'k1' }), privateJwk('ES256', { kid: 'k2' })],
    }
    const config = loadConfig(
      {
        TOKEN_STORE: 'memory',
        JWT_ALGORITHM: 'ES256',
        JWT_KEYS_FILE: '/etc/refresh-kit/jwks.json',
        REFRESH_TOKEN_SECRET: 'r'.repeat(32),
      },
      {
        readFile: (path) => {
          expect(path).toBe('/etc/refresh-kit/jwks.json')
          return JSON.stringify(file)
        },
      },
    )
    const server = createServerFromConfig(config, {
      logger: silentLogger,
      passwords: cheapPasswords,
    })
    const { pair } = await signIn(server.app)
    expect(jwt.decode(pair.accessToken, { complete: true })?.header).toMatchObject({
      alg: 'ES256',
      kid: 'k2',
    })
    const jwks = await request(server.app.callback()).get('/.well-known/jwks.json')
    expect(jwks.body.keys.map((key: { kid: string }) => key.kid)).toEqual(['k1', 'k2'])
    await server.close()
  })
})
