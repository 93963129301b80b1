import { generateKeyPairSync, type KeyObject } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  authSettingsOf,
  createAccessTokens,
  createTokenKeys,
  loadConfig,
} from '@refresh-kit/server'
import { createRefreshTokenCodec } from '@refresh-kit/server/internal'
import { ROUTES, type TokenResponse } from '@refresh-kit/shared'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PASSWORD } from '../src/accounts.js'
import { recordFigure } from '../src/figures.js'
import { type HttpResult, httpRequest } from '../src/http.js'
import {
  type InProcessServer,
  type ManualClock,
  manualClock,
  startInProcessServer,
} from '../src/in-process.js'
import { decodeJwt, flipSignature, signHs256, unsignedJwt, withPart } from '../src/jwt-forge.js'
import { errorCodeOf } from '../src/load.js'
import { startServerProcess } from '../src/server-process.js'

/** Seconds; the server's default clock tolerance, set explicitly so the tests say what they rely on. */
const TOLERANCE = 5
/** Seconds; the server's default access-token lifetime. */
const ACCESS_TTL = 900

let clock: ManualClock
let server: InProcessServer
let alice: TokenResponse
let bob: TokenResponse
const rejected: string[] = []

async function signUp(username: string): Promise<TokenResponse> {
  await httpRequest(`${server.url}${ROUTES.register}`, {
    method: 'POST',
    json: { username, password: PASSWORD },
  })
  const res = await httpRequest(`${server.url}${ROUTES.login}`, {
    method: 'POST',
    json: { username, password: PASSWORD },
  })
  expect(res.status).toBe(200)
  return res.body as TokenResponse
}

const me = (token: string, base = server.url) =>
  httpRequest(`${base}${ROUTES.me}`, { headers: { authorization: `Bearer ${token}` } })

const refresh = (refreshToken: unknown, base = server.url) =>
  httpRequest(`${base}${ROUTES.refresh}`, { method: 'POST', json: { refreshToken } })

/** A `/auth/me` answer that a user of a forged token must get. */
function expectRejected(what: string, res: HttpResult, code: string): void {
  expect({ what, status: res.status, error: errorCodeOf(res.body) }).toEqual({
    what,
    status: 401,
    error: code,
  })
  expect(res.headers['www-authenticate']).toMatch(
    /^Bearer realm="refresh-kit", error="invalid_token"/,
  )
  rejected.push(what)
}

function expectRefreshRejected(what: string, res: HttpResult): void {
  expect({ what, status: res.status, error: errorCodeOf(res.body) }).toEqual({
    what,
    status: 401,
    error: 'invalid_refresh_token',
  })
  rejected.push(what)
}

beforeAll(async () => {
  clock = manualClock(Date.parse('2026-01-01T00:00:00Z'))
  server = await startInProcessServer({ clock, clockToleranceSeconds: TOLERANCE })
  alice = await signUp('alice-attacks')
  bob = await signUp('bob-attacks')
})

afterAll(async () => {
  recordFigure({
    name: 'token attacks: forged or misused tokens rejected with the right 401',
    value: rejected.length,
    unit: 'attacks',
    goal: 'every one',
  })
  await server?.close()
})

const claimsOf = (token: string) => decodeJwt(token).payload
const headerOf = (token: string) => decodeJwt(token).header
const nowSeconds = () => Math.floor(clock() / 1000)

describe('access-token attacks on /auth/me', () => {
  it('accepts the genuine token (the baseline every attack is measured against)', async () => {
    expect((await me(alice.accessToken)).status).toBe(200)
  })

  it('rejects alg: none, in any spelling, signed or not', async () => {
    const claims = claimsOf(alice.accessToken)
    for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
      expectRejected(
        `alg ${alg}`,
        await me(unsignedJwt(claims, { alg, typ: 'at+jwt' })),
        'invalid_token',
      )
      const withSignature = `${unsignedJwt(claims, { alg, typ: 'at+jwt' })}${alice.accessToken.split('.')[2]}`
      expectRejected(`alg ${alg} with a signature`, await me(withSignature), 'invalid_token')
    }
  })

  it('rejects an asymmetric alg on a token HMAC-signed with the server secret (alg not on the allow-list)', async () => {
    const claims = claimsOf(alice.accessToken)
    for (const alg of ['RS256', 'ES256', 'EdDSA', 'HS512', 'HS384']) {
      const forged = signHs256({ alg, typ: 'at+jwt' }, claims, server.jwtSecret)
      expectRejected(`alg ${alg} header`, await me(forged), 'invalid_token')
    }
  })

  it('rejects a tampered header, payload or signature', async () => {
    const token = alice.accessToken
    const header = headerOf(token)
    const claims = claimsOf(token)
    expectRejected(
      'header: typ changed',
      await me(withPart(token, 'header', { ...header, typ: 'JWT' })),
      'invalid_token',
    )
    expectRejected(
      'header: kid added',
      await me(withPart(token, 'header', { ...header, kid: '../../dev/null' })),
      'invalid_token',
    )
    expectRejected(
      'payload: sub changed',
      await me(withPart(token, 'payload', { ...claims, sub: bob.refreshToken.split('.')[1] })),
      'invalid_token',
    )
    expectRejected(
      'payload: exp extended',
      await me(withPart(token, 'payload', { ...claims, exp: nowSeconds() + 86_400 * 365 })),
      'invalid_token',
    )
    expectRejected(
      'signature: one character changed',
      await me(flipSignature(token)),
      'invalid_token',
    )
    expectRejected(
      'signature: removed',
      await me(`${token.split('.').slice(0, 2).join('.')}.`),
      'invalid_token',
    )
    expectRejected(
      'signature: another token’s',
      await me(`${token.split('.').slice(0, 2).join('.')}.${bob.accessToken.split('.')[2]}`),
      'invalid_token',
    )
    expectRejected(
      'signed with a wrong secret',
      await me(signHs256(header, claims, 'x'.repeat(48))),
      'invalid_token',
    )
  })

  it('answers token_expired past exp beyond the tolerance, and accepts it within', async () => {
    const token = alice.accessToken
    clock.advance((ACCESS_TTL + TOLERANCE - 1) * 1000)
    try {
      expect((await me(token)).status).toBe(200)
      clock.advance(2_000)
      expectRejected('expired beyond the tolerance', await me(token), 'token_expired')
      expect((await me(token)).headers['www-authenticate']).toContain('error="invalid_token"')
    } finally {
      clock.advance(-(ACCESS_TTL + TOLERANCE + 1) * 1000)
    }
  })

  it('rejects nbf in the future beyond the tolerance', async () => {
    const claims = { ...claimsOf(alice.accessToken), nbf: nowSeconds() + 60 }
    expectRejected(
      'nbf 60 s ahead',
      await me(signHs256(headerOf(alice.accessToken), claims, server.jwtSecret)),
      'invalid_token',
    )
    const withinTolerance = { ...claimsOf(alice.accessToken), nbf: nowSeconds() + TOLERANCE - 2 }
    expect(
      (await me(signHs256(headerOf(alice.accessToken), withinTolerance, server.jwtSecret))).status,
    ).toBe(200)
  })

  it('rejects a wrong iss, aud or typ even when signed with the server secret', async () => {
    const header = headerOf(alice.accessToken)
    const claims = claimsOf(alice.accessToken)
    const sign = (h: Record<string, unknown>, c: Record<string, unknown>) =>
      signHs256(h, c, server.jwtSecret)
    expectRejected(
      'iss of another issuer',
      await me(sign(header, { ...claims, iss: 'https://evil.example' })),
      'invalid_token',
    )
    expectRejected(
      'iss missing',
      await me(sign(header, { ...claims, iss: undefined })),
      'invalid_token',
    )
    expectRejected(
      'aud of another audience',
      await me(sign(header, { ...claims, aud: 'another-api' })),
      'invalid_token',
    )
    expectRejected(
      'aud missing',
      await me(sign(header, { ...claims, aud: undefined })),
      'invalid_token',
    )
    expectRejected(
      'typ JWT (an ID token)',
      await me(sign({ ...header, typ: 'JWT' }, claims)),
      'invalid_token',
    )
    expectRejected('typ missing', await me(sign({ alg: 'HS256' }, claims)), 'invalid_token')
    expectRejected(
      'typ of a refresh token',
      await me(sign({ ...header, typ: 'rt+jwt' }, claims)),
      'invalid_token',
    )
  })

  it('rejects a token with a huge or a duplicated claim', async () => {
    const token = alice.accessToken
    const [head, , signature] = token.split('.')
    const claims = claimsOf(token)
    const huge = withPart(token, 'payload', { ...claims, username: 'a'.repeat(8_000) })
    expectRejected('huge claim, original signature', await me(huge), 'invalid_token')
    const hugeSigned = signHs256(
      headerOf(token),
      { ...claims, pad: 'b'.repeat(8_000) },
      'y'.repeat(48),
    )
    expectRejected('huge claim, wrong secret', await me(hugeSigned), 'invalid_token')
    // JSON with a repeated key: whichever copy a parser keeps, the signature no longer matches.
    const payloadText = Buffer.from(JSON.stringify(claims)).toString('utf8')
    const duplicated = `${payloadText.slice(0, -1)},"sub":"someone-else"}`
    const forged = `${head}.${Buffer.from(duplicated).toString('base64url')}.${signature}`
    expectRejected('duplicated sub, original signature', await me(forged), 'invalid_token')
    // Signed by the server key, the last `aud` wins and is the wrong one.
    const dupAud = `${payloadText.slice(0, -1)},"aud":"another-api"}`
    const body = `${head}.${Buffer.from(dupAud).toString('base64url')}`
    const { createHmac } = await import('node:crypto')
    const resigned = `${body}.${createHmac('sha256', server.jwtSecret).update(body).digest('base64url')}`
    expectRejected('duplicated aud, last one wrong', await me(resigned), 'invalid_token')
  })

  it('rejects a refresh token presented as an access token', async () => {
    expectRejected('refresh token as bearer', await me(alice.refreshToken), 'invalid_token')
  })

  it('is still the same session for the genuine token after every attack', async () => {
    const res = await me(alice.accessToken)
    expect(res.status).toBe(200)
    expect((res.body as { username: string }).username).toBe('alice-attacks')
  })
})

describe('algorithm confusion (HS256 signed with the public key)', () => {
  const pairs = {
    ES256: () => generateKeyPairSync('ec', { namedCurve: 'P-256' }),
    RS256: () => generateKeyPairSync('rsa', { modulusLength: 2048 }),
  } as const

  /** Every way an attacker may turn the published public key into an HMAC secret. */
  function publicKeySecrets(publicKey: KeyObject, published: unknown): [string, string | Buffer][] {
    return [
      ['public key PEM', publicKey.export({ format: 'pem', type: 'spki' })],
      ['public key DER', publicKey.export({ format: 'der', type: 'spki' })],
      ['public key JWK JSON', JSON.stringify(publicKey.export({ format: 'jwk' }))],
      ['published JWKS entry', JSON.stringify(published)],
    ]
  }

  for (const algorithm of ['ES256', 'RS256'] as const) {
    it(`rejects HS256 tokens keyed with the ${algorithm} public key, and ${algorithm} tokens of another key`, async () => {
      const { privateKey, publicKey } = pairs[algorithm]()
      const kid = `${algorithm.toLowerCase()}-1`
      const keys = createTokenKeys({
        algorithm,
        signingKeys: [{ ...privateKey.export({ format: 'jwk' }), kid }],
        refreshTokenSecret: 'r'.repeat(48),
      })
      const server = await startInProcessServer({ keys })
      try {
        await httpRequest(`${server.url}${ROUTES.register}`, {
          method: 'POST',
          json: { username: `carol-${kid}`, password: PASSWORD },
        })
        const login = await httpRequest(`${server.url}${ROUTES.login}`, {
          method: 'POST',
          json: { username: `carol-${kid}`, password: PASSWORD },
        })
        const genuine = (login.body as TokenResponse).accessToken
        expect(headerOf(genuine)).toMatchObject({ alg: algorithm, kid })
        expect((await me(genuine, server.url)).status).toBe(200)
        const jwks = await httpRequest(`${server.url}${ROUTES.jwks}`)
        expect(jwks.status).toBe(200)
        const published = (jwks.body as { keys: unknown[] }).keys[0]

        const claims = claimsOf(genuine)
        for (const [what, secret] of publicKeySecrets(publicKey, published)) {
          for (const header of [
            { alg: 'HS256', typ: 'at+jwt', kid },
            { alg: 'HS256', typ: 'at+jwt' },
          ]) {
            const forged = signHs256(header, claims, secret)
            expectRejected(
              `${algorithm} confusion: HS256 with the ${what}${header.kid ? '' : ', no kid'}`,
              await me(forged, server.url),
              'invalid_token',
            )
          }
          const mislabelled = signHs256({ alg: algorithm, typ: 'at+jwt', kid }, claims, secret)
          expectRejected(
            `${algorithm} confusion: HMAC under alg ${algorithm} with the ${what}`,
            await me(mislabelled, server.url),
            'invalid_token',
          )
        }
        // A real signature of the same algorithm, by a key the server never published.
        const other = createTokenKeys({
          algorithm,
          signingKeys: [{ ...pairs[algorithm]().privateKey.export({ format: 'jwk' }), kid }],
          refreshTokenSecret: 'r'.repeat(48),
        })
        const settings = authSettingsOf(loadConfig({}))
        const foreign = createAccessTokens({
          keys: other.access,
          issuer: settings.issuer,
          audience: settings.audience,
          ttlSeconds: settings.accessTokenTtlSeconds,
          clockToleranceSeconds: settings.clockToleranceSeconds,
        }).sign({
          userId: String(claims.sub),
          sessionId: String(claims.sid),
          username: String(claims.username),
        }).token
        expectRejected(
          `${algorithm}: signed by an unpublished key with the same kid`,
          await me(foreign, server.url),
          'invalid_token',
        )
      } finally {
        await server.close()
      }
    })
  }

  it('rejects the confusion on the built server configured from JWT_ALGORITHM and JWT_PRIVATE_KEY_FILE', async () => {
    const { privateKey, publicKey } = pairs.ES256()
    const dir = await mkdtemp(join(tmpdir(), 'refresh-kit-keys-'))
    const pemFile = join(dir, 'access.pem')
    await writeFile(pemFile, privateKey.export({ format: 'pem', type: 'pkcs8' }))
    const proc = await startServerProcess({
      env: { TOKEN_STORE: 'memory', JWT_ALGORITHM: 'ES256', JWT_PRIVATE_KEY_FILE: pemFile },
    })
    try {
      await httpRequest(`${proc.url}${ROUTES.register}`, {
        method: 'POST',
        json: { username: 'dan-process', password: PASSWORD },
        timeoutMs: 30_000,
      })
      const login = await httpRequest(`${proc.url}${ROUTES.login}`, {
        method: 'POST',
        json: { username: 'dan-process', password: PASSWORD },
        timeoutMs: 30_000,
      })
      const genuine = (login.body as TokenResponse).accessToken
      expect(headerOf(genuine).alg).toBe('ES256')
      expect((await me(genuine, proc.url)).status).toBe(200)
      const jwks = await httpRequest(`${proc.url}${ROUTES.jwks}`)
      const published = (jwks.body as { keys: unknown[] }).keys[0]
      const { kid } = headerOf(genuine)
      for (const [what, secret] of publicKeySecrets(publicKey, published)) {
        const forged = signHs256({ alg: 'HS256', typ: 'at+jwt', kid }, claimsOf(genuine), secret)
        expectRejected(
          `built server: HS256 with the ${what}`,
          await me(forged, proc.url),
          'invalid_token',
        )
      }
      // The HS256 secret of the environment no longer signs anything the server accepts.
      const withSecret = signHs256(
        { alg: 'HS256', typ: 'at+jwt' },
        claimsOf(genuine),
        proc.jwtSecret,
      )
      expectRejected(
        'built server: HS256 with JWT_SECRET under ES256',
        await me(withSecret, proc.url),
        'invalid_token',
      )
    } finally {
      await proc.stop()
      await rm(dir, { recursive: true, force: true })
    }
  })
})

describe('refresh-token attacks on /auth/refresh', () => {
  // rk1.<userId>.<sessionId>.<generation>.<mac>
  const parts = (token: string) => token.split('.') as [string, string, string, string, string]
  const codec = () =>
    createRefreshTokenCodec(createTokenKeys({ jwtSecret: server.jwtSecret }).refreshMacKey)

  it('rejects a token whose user, session, generation or MAC was altered', async () => {
    const [prefix, user, session, generation, mac] = parts(alice.refreshToken)
    const [, bobUser, bobSession] = parts(bob.refreshToken)
    const join = (...p: string[]) => p.join('.')
    expectRefreshRejected(
      'user of another user',
      await refresh(join(prefix, bobUser, session, generation, mac)),
    )
    expectRefreshRejected(
      'session of another user',
      await refresh(join(prefix, user, bobSession, generation, mac)),
    )
    expectRefreshRejected(
      'generation + 1',
      await refresh(join(prefix, user, session, String(Number(generation) + 1), mac)),
    )
    expectRefreshRejected('generation - 1', await refresh(join(prefix, user, session, '-1', mac)))
    expectRefreshRejected(
      'generation huge',
      await refresh(join(prefix, user, session, '9'.repeat(20), mac)),
    )
    expectRefreshRejected(
      'MAC altered',
      await refresh(join(prefix, user, session, generation, flipSignature(`x.${mac}`).slice(2))),
    )
    expectRefreshRejected(
      'MAC truncated',
      await refresh(join(prefix, user, session, generation, mac.slice(0, 42))),
    )
    expectRefreshRejected(
      'MAC of another token',
      await refresh(join(prefix, user, session, generation, parts(bob.refreshToken)[4])),
    )
    expectRefreshRejected(
      'prefix changed',
      await refresh(join('rk2', user, session, generation, mac)),
    )
    expectRefreshRejected('an access token', await refresh(alice.accessToken))
  })

  it('rejects a correctly MACed token for another user’s session, or for a generation never issued', async () => {
    const [, user, session, generation] = parts(alice.refreshToken)
    const [, bobUser, bobSession] = parts(bob.refreshToken)
    const mint = (userId: string, sessionId: string, gen: number) =>
      codec().issue({ userId, sessionId, generation: gen })
    // The genuine token rebuilds exactly: the test mints with the server's own key.
    expect(mint(user, session, Number(generation))).toBe(alice.refreshToken)
    expectRefreshRejected(
      'MACed: alice with bob’s session',
      await refresh(mint(user, bobSession, 0)),
    )
    expectRefreshRejected(
      'MACed: bob’s user with alice’s session',
      await refresh(mint(bobUser, session, 0)),
    )
    expectRefreshRejected(
      'MACed: a generation never issued',
      await refresh(mint(user, session, Number(generation) + 5)),
    )
  })

  it('leaves the genuine sessions working after every attack', async () => {
    // Tampered tokens are refused before the store: none of them revoked a session.
    const a = await refresh(alice.refreshToken)
    const b = await refresh(bob.refreshToken)
    expect([a.status, b.status]).toEqual([200, 200])
  })
})
