import type { TokenResponse } from '@refresh-kit/shared'
import { DEFAULT_REFRESH_REUSE_GRACE_SECONDS } from '@refresh-kit/shared'
import { useTestRedis } from '@refresh-kit/testing'
import { describe, expect, it } from 'vitest'
import { createTokenKeys } from '../../src/access-tokens/keys.js'
import { createAuthService } from '../../src/auth-service.js'
import { isAuthError } from '../../src/errors.js'
import { createRedisStore } from '../../src/store/redis-store.js'
import type { TokenStore } from '../../src/store/types.js'
import { cheapPasswords, JWT_SECRET, manualClock, settings, setup } from '../support/harness.js'
import { recordCommands } from '../support/record-commands.js'

const redis = useTestRedis('service')
// These tests move the service's injected clock: the store decides with it, not with Redis's.
const redisStore = () =>
  createRedisStore({ redis: redis.client(), keyPrefix: redis.keyPrefix, clock: 'caller' })
const onRedis = (options: Parameters<typeof setup>[0] = {}) =>
  setup({ store: redisStore(), ...options })

async function refresh(http: ReturnType<typeof setup>['http'], refreshToken: string) {
  const res = await http.post('/auth/refresh').send({ refreshToken })
  return { status: res.status, body: res.body as TokenResponse & { error?: string } }
}

describe('rotation', () => {
  const { http, signIn, clock } = onRedis()

  /** Login and three refreshes, each beyond the grace window: tokens of generations 0 to 3. */
  async function chainOfFour(): Promise<string[]> {
    const { pair } = await signIn()
    const tokens = [pair.refreshToken]
    for (let i = 1; i <= 3; i += 1) {
      clock.advance(60)
      const res = await refresh(http, tokens.at(-1) as string)
      expect(res.status).toBe(200)
      expect(res.body.refreshToken).toContain(`.${i}.`)
      tokens.push(res.body.refreshToken)
    }
    clock.advance(60)
    return tokens
  }

  it('after 3 refreshes in a row only the last token works', async () => {
    const latest = await chainOfFour()
    expect((await refresh(http, latest[3] as string)).status).toBe(200)
    // Each older token on its own chain, since presenting one revokes the session.
    for (const index of [0, 1, 2]) {
      const tokens = await chainOfFour()
      const old = await refresh(http, tokens[index] as string)
      expect(old.status, `generation ${index}`).toBe(401)
      expect(old.body.error).toBe('refresh_token_reused')
    }
  })

  it('a rotated token after the grace window is refresh_token_reused and kills the successor', async () => {
    const { pair } = await signIn()
    const next = await refresh(http, pair.refreshToken)
    expect(next.status).toBe(200)
    clock.advance(DEFAULT_REFRESH_REUSE_GRACE_SECONDS + 1)
    const reused = await refresh(http, pair.refreshToken)
    expect(reused.status).toBe(401)
    expect(reused.body).toEqual({ error: 'refresh_token_reused', message: expect.any(String) })
    const successor = await refresh(http, next.body.refreshToken)
    expect(successor.status).toBe(401)
    expect(successor.body.error).toBe('invalid_refresh_token')
  })

  it('inside the grace window the previous token returns the identical successor, and the session lives on', async () => {
    const { pair } = await signIn()
    const first = await refresh(http, pair.refreshToken)
    clock.advance(5)
    const retry = await refresh(http, pair.refreshToken)
    expect(retry.status).toBe(200)
    expect(retry.body.refreshToken).toBe(first.body.refreshToken)
    expect(retry.body.accessToken).toEqual(expect.any(String))
    const onward = await refresh(http, first.body.refreshToken)
    expect(onward.status).toBe(200)
    expect(onward.body.refreshToken).toContain('.2.')
  })

  it('a token two generations old is reuse even inside the grace window', async () => {
    const { pair } = await signIn()
    const g1 = await refresh(http, pair.refreshToken)
    const g2 = await refresh(http, g1.body.refreshToken)
    expect(g2.status).toBe(200)
    const old = await refresh(http, pair.refreshToken)
    expect(old.status).toBe(401)
    expect(old.body.error).toBe('refresh_token_reused')
    expect((await refresh(http, g2.body.refreshToken)).body.error).toBe('invalid_refresh_token')
  })

  it('refreshExpiresIn slides with each refresh', async () => {
    const { pair } = await signIn()
    expect(pair.refreshExpiresIn).toBe(604_800)
    clock.advance(3600)
    const next = await refresh(http, pair.refreshToken)
    expect(next.body.refreshExpiresIn).toBe(604_800)
  })
})

describe('concurrency on real Redis', () => {
  const { http, signIn } = onRedis()

  it('50 parallel refreshes of one token all succeed with the same successor, and the session survives', async () => {
    const { pair } = await signIn()
    const results = await Promise.all(
      Array.from({ length: 50 }, () => refresh(http, pair.refreshToken)),
    )
    expect(results.map((r) => r.status)).toEqual(Array(50).fill(200))
    const successors = new Set(results.map((r) => r.body.refreshToken))
    expect(successors.size).toBe(1)
    const [successor] = successors
    expect(successor).toContain('.1.')
    const onward = await refresh(http, successor as string)
    expect(onward.status).toBe(200)
    expect(onward.body.refreshToken).toContain('.2.')
  })
})

describe('expiry with an injected clock', () => {
  it('idle expiry: unused for longer than REFRESH_TOKEN_TTL is invalid_refresh_token', async () => {
    const { http, signIn, clock } = onRedis({
      refreshTokenTtlSeconds: 3600,
      sessionMaxAgeSeconds: 86_400,
    })
    const { pair } = await signIn()
    clock.advance(3599)
    const kept = await refresh(http, pair.refreshToken)
    expect(kept.status).toBe(200)
    clock.advance(3601)
    const expired = await refresh(http, kept.body.refreshToken)
    expect(expired.status).toBe(401)
    expect(expired.body.error).toBe('invalid_refresh_token')
  })

  it('absolute expiry: no refresh extends a session past SESSION_MAX_AGE', async () => {
    const { http, signIn, clock } = onRedis({
      refreshTokenTtlSeconds: 3600,
      sessionMaxAgeSeconds: 7200,
    })
    const { pair } = await signIn()
    let token = pair.refreshToken
    for (let elapsed = 0; elapsed < 7000; elapsed += 1000) {
      clock.advance(1000)
      const res = await refresh(http, token)
      expect(res.status).toBe(200)
      expect(res.body.refreshExpiresIn).toBeLessThanOrEqual(7200 - elapsed - 1000)
      token = res.body.refreshToken
    }
    clock.advance(201)
    const expired = await refresh(http, token)
    expect(expired.status).toBe(401)
    expect(expired.body.error).toBe('invalid_refresh_token')
  })
})

describe('forged refresh tokens never reach the store', () => {
  function guardedStore(real: TokenStore) {
    const calls: string[] = []
    let armed = false
    const store = new Proxy(real, {
      get(target, name, receiver) {
        const value = Reflect.get(target, name, receiver)
        if (typeof value !== 'function') return value
        return (...args: unknown[]) => {
          if (armed) {
            calls.push(String(name))
            throw new Error(`store.${String(name)} was called`)
          }
          return value.apply(target, args)
        }
      },
    })
    return { store, calls, arm: () => (armed = true) }
  }

  it('a tampered MAC or generation is invalid_refresh_token without any store call', async () => {
    const guarded = guardedStore(redisStore())
    const { http, signIn } = setup({ store: guarded.store })
    const { pair } = await signIn()
    guarded.arm()
    const token = pair.refreshToken
    const flipped = token.at(-1) === 'A' ? 'B' : 'A'
    for (const forged of [
      `${token.slice(0, -1)}${flipped}`,
      token.replace(/\.0\./, '.1.'),
      token.replace(/^rk1\.[^.]+/, 'rk1.AAAAAAAAAAAAAAAAAAAAAA'),
    ]) {
      expect(forged).not.toBe(token)
      const res = await refresh(http, forged)
      expect(res.status).toBe(401)
      expect(res.body.error).toBe('invalid_refresh_token')
      const out = await http.post('/auth/logout').send({ refreshToken: forged })
      expect(out.status).toBe(204)
    }
    expect(guarded.calls).toEqual([])
    // Control: the genuine token does reach the (now throwing) store.
    const genuine = await refresh(http, token)
    expect(genuine.status).toBe(500)
    expect(guarded.calls).toContain('rotate')
  })

  it('the store keeps no refresh token, nor its MAC', async () => {
    const { signIn } = onRedis()
    const { pair } = await signIn()
    const mac = pair.refreshToken.split('.').at(-1) as string
    const client = redis.client()
    for (const key of await redis.keys()) {
      const type = await client.type(key)
      const dump =
        type === 'hash'
          ? JSON.stringify(await client.hgetall(key))
          : type === 'string'
            ? String(await client.get(key))
            : type === 'zset'
              ? JSON.stringify(await client.zrange(key, '0', '-1'))
              : type === 'set'
                ? JSON.stringify(await client.smembers(key))
                : ''
      expect(dump).not.toContain(mac)
      expect(dump).not.toContain(pair.refreshToken)
    }
  })
})

describe('one Redis round trip per refresh', () => {
  function serviceOnRedis() {
    const client = redis.client()
    const clock = manualClock()
    const tokens = createAuthService({
      ...settings,
      store: createRedisStore({ redis: client, keyPrefix: redis.keyPrefix, clock: 'caller' }),
      keys: createTokenKeys({ jwtSecret: JWT_SECRET }),
      passwords: cheapPasswords,
      clock,
    })
    return { client, clock, tokens }
  }

  async function signedIn(tokens: ReturnType<typeof serviceOnRedis>['tokens']) {
    const username = `trip.${Math.random().toString(36).slice(2, 10)}`
    const user = await tokens.register({ username, password: 'correct horse battery' })
    const pair = await tokens.login({
      username,
      password: 'correct horse battery',
      clientAddress: '::1',
      userAgent: 'Mozilla/5.0 (X11)',
    })
    return { user, pair }
  }

  it('a refresh, and a retry inside the grace window, each send exactly one command', async () => {
    const { client, clock, tokens } = serviceOnRedis()
    const { user, pair } = await signedIn(tokens)
    clock.advance(1)
    // The first rotation loads the script (EVALSHA, then EVAL on NOSCRIPT on a fresh Redis);
    // the ones measured below run by SHA.
    const warm = await tokens.refresh(pair.refreshToken)
    clock.advance(60)
    const sent = recordCommands(client)
    const next = await tokens.refresh(warm.refreshToken)
    expect(sent.names()).toEqual(['evalsha'])
    expect(tokens.verifyAccessToken(next.accessToken)).toMatchObject({
      userId: user.id,
      username: user.username,
    })
    sent.clear()
    clock.advance(1)
    const retry = await tokens.refresh(warm.refreshToken)
    expect(sent.names()).toEqual(['evalsha'])
    expect(retry.refreshToken).toBe(next.refreshToken)
    expect(tokens.verifyAccessToken(retry.accessToken).username).toBe(user.username)
  })

  it('a refresh whose user record is gone is invalid_refresh_token, in one script call, and ends the session', async () => {
    const { client, clock, tokens } = serviceOnRedis()
    const { user, pair } = await signedIn(tokens)
    clock.advance(1)
    const warm = await tokens.refresh(pair.refreshToken)
    // What the user record's TTL does to a user who stayed away too long.
    await client.del(`${redis.keyPrefix}{u:${user.id}}:u`)
    clock.advance(60)
    const sent = recordCommands(client)
    const failure = await tokens.refresh(warm.refreshToken).catch((error: unknown) => error)
    expect(isAuthError(failure) && failure.code).toBe('invalid_refresh_token')
    // The rotation script, then at most the release of the session's user-agent record.
    const [first, ...rest] = sent.names()
    expect(first).toBe('evalsha')
    expect(rest.every((name) => name === 'evalsha' || name === 'eval')).toBe(true)
    expect(rest.length).toBeLessThanOrEqual(1)
    expect(await tokens.listSessions(user.id, '')).toEqual([])
  })
})
