import { describe, expect, it } from 'vitest'
import { createTokenKeys } from '../../src/access-tokens/keys.js'
import { createMemoryRevocations } from '../../src/access-tokens/revocation/memory-revocations.js'
import type { AccessTokenRevocations } from '../../src/access-tokens/revocation/types.js'
import { createAuthService } from '../../src/auth-service.js'
import {
  createAbuseLimits,
  DEFAULT_ABUSE_LIMIT_RULES,
} from '../../src/credentials/limits/abuse-limits.js'
import {
  createPasswordHasher,
  type PasswordHasher,
} from '../../src/credentials/password-hashing.js'
import type { PasswordPolicy } from '../../src/credentials/password-strength.js'
import { isAuthError, StoreUnavailableError } from '../../src/errors.js'
import { createMemoryStore } from '../../src/store/memory-store.js'
import { cheapPasswords, JWT_SECRET, manualClock, settings } from '../support/harness.js'

const keys = createTokenKeys({ jwtSecret: JWT_SECRET })
const PASSWORD = 'correct horse battery'
const NEW_PASSWORD = 'violet tractor orbit 42'

const outcome = (promise: Promise<unknown>) =>
  promise.then(
    () => 'ok',
    (error: unknown) => (isAuthError(error) ? error.code : String(error)),
  )

function deferred() {
  let resolve: () => void = () => {}
  const promise = new Promise<void>((done) => {
    resolve = done
  })
  return { promise, resolve }
}

/** Revocations whose next `failures` recordings fail as an outage would. */
function flakyRevocations(clock: () => number) {
  const inner = createMemoryRevocations({
    accessTokenTtlSeconds: settings.accessTokenTtlSeconds,
    clockToleranceSeconds: settings.clockToleranceSeconds,
    clock,
  })
  let failures = 0
  const revocations: AccessTokenRevocations = {
    ...inner,
    assertNotRevoked: (claims) => inner.assertNotRevoked(claims),
    revoke: async (ended) => {
      if (failures > 0) {
        failures -= 1
        throw new StoreUnavailableError()
      }
      return inner.revoke(ended)
    },
  }
  return { revocations, failNext: (count = 1) => (failures = count) }
}

function service(options: Partial<Parameters<typeof createAuthService>[0]> = {}) {
  const clock = manualClock()
  const store = createMemoryStore({ now: clock })
  const flaky = flakyRevocations(clock)
  const auth = createAuthService({
    ...settings,
    store,
    keys,
    clock,
    passwords: cheapPasswords,
    revocations: flaky.revocations,
    ...options,
  })
  /** Another session of a registered user. */
  const logIn = (username: string, clientAddress = '::1') =>
    auth.login({ username, password: PASSWORD, clientAddress, userAgent: null })
  const signIn = async (username: string) => {
    await auth.register({ username, password: PASSWORD })
    return logIn(username)
  }
  return { auth, store, clock, signIn, logIn, failNext: flaky.failNext }
}

describe('a login racing a password change', () => {
  it('a login that verified the old password and completes after the change leaves no session', async () => {
    const gate = deferred()
    const verified = deferred()
    let hold = false
    const passwords: PasswordHasher = {
      ...cheapPasswords,
      verify: async (password, encoded) => {
        // Only the racing login is held, decided when it starts to verify.
        const held = hold
        hold = false
        const valid = await cheapPasswords.verify(password, encoded)
        if (held) {
          verified.resolve()
          await gate.promise
        }
        return valid
      },
    }
    const { auth, store, clock, signIn } = service({ passwords })
    const current = await signIn('ada')
    const me = auth.verifyAccessToken(current.accessToken).claims
    // The old password is verified, then held until the change has completed.
    hold = true
    const racing = auth
      .login({ username: 'ada', password: PASSWORD, clientAddress: '203.0.113.9', userAgent: null })
      .then(
        (pair) => pair,
        (error: unknown) => error,
      )
    await verified.promise
    await auth.changePassword({
      userId: me.sub,
      sessionId: me.sid,
      currentPassword: PASSWORD,
      newPassword: NEW_PASSWORD,
      clientAddress: '::1',
    })
    gate.resolve()
    const result = await racing
    expect(isAuthError(result) && result.code).toBe('invalid_credentials')
    // Only the session that changed the password is left.
    expect((await store.listSessions(me.sub, clock())).map((s) => s.id)).toEqual([me.sid])
  })

  it('a login that created its session just before the change is ended, access token included', async () => {
    const { auth, signIn, logIn } = service()
    const current = await signIn('ada')
    const me = auth.verifyAccessToken(current.accessToken).claims
    const early = await logIn('ada', '203.0.113.9')
    await auth.changePassword({
      userId: me.sub,
      sessionId: me.sid,
      currentPassword: PASSWORD,
      newPassword: NEW_PASSWORD,
      clientAddress: '::1',
    })
    expect(await outcome(auth.refresh(early.refreshToken))).toBe('invalid_refresh_token')
    expect(() => auth.verifyAccessToken(early.accessToken)).toThrow(/ended/)
    expect(auth.verifyAccessToken(current.accessToken).claims.sid).toBe(me.sid)
  })

  it('emits passwordChanged with the sessions it ended', async () => {
    const { auth, signIn, logIn } = service()
    const current = await signIn('ada')
    await logIn('ada')
    const me = auth.verifyAccessToken(current.accessToken).claims
    const seen: unknown[] = []
    auth.events.on('passwordChanged', (event) => {
      seen.push(event)
    })
    await auth.changePassword({
      userId: me.sub,
      sessionId: me.sid,
      currentPassword: PASSWORD,
      newPassword: NEW_PASSWORD,
      clientAddress: '198.51.100.4',
    })
    expect(seen).toEqual([
      { userId: me.sub, sessionId: me.sid, sessionsEnded: 1, clientAddress: '198.51.100.4' },
    ])
  })
})

describe('older password hashes', () => {
  it('are upgraded at the next successful login, the password version kept; a wrong password upgrades nothing', async () => {
    const weak = createPasswordHasher({ cost: 2 ** 8 })
    const { auth, store } = service({ passwords: weak })
    await auth.register({ username: 'ada', password: PASSWORD })
    const before = await store.findUserByUsername('ada')
    expect(before?.passwordHash).toMatch(/^scrypt\$256\$/)
    // The same store, a hasher of today's parameters (cheap enough for a test).
    const stronger = createPasswordHasher({ cost: 2 ** 10 })
    expect(stronger.needsRehash?.(before?.passwordHash ?? '')).toBe(true)
    const upgraded = createAuthService({ ...settings, store, keys, passwords: stronger })
    expect(
      await outcome(
        upgraded.login({
          username: 'ada',
          password: 'not it',
          clientAddress: '::1',
          userAgent: null,
        }),
      ),
    ).toBe('invalid_credentials')
    expect((await store.findUserByUsername('ada'))?.passwordHash).toBe(before?.passwordHash)
    await upgraded.login({
      username: 'ada',
      password: PASSWORD,
      clientAddress: '::1',
      userAgent: null,
    })
    const after = await store.findUserByUsername('ada')
    expect(after?.passwordHash).toMatch(/^scrypt\$1024\$/)
    expect(after?.passwordVersion ?? 0).toBe(before?.passwordVersion ?? 0)
    expect(
      await outcome(
        upgraded.login({
          username: 'ada',
          password: PASSWORD,
          clientAddress: '::1',
          userAgent: null,
        }),
      ),
    ).toBe('ok')
  })
})

describe('a revocation that cannot be recorded', () => {
  it('leaves the session as it was, and the retry ends it and revokes its access tokens: logout, session revoke, password change, logout-all', async () => {
    const { auth, signIn, logIn, failNext } = service()
    const ended = async (accessToken: string) =>
      outcome(Promise.resolve().then(() => auth.verifyAccessToken(accessToken)))

    // Logout.
    const a = await signIn('ada')
    failNext()
    expect(await outcome(auth.logout(a.refreshToken))).toBe('service_unavailable')
    expect(await ended(a.accessToken)).toBe('ok')
    await auth.logout(a.refreshToken)
    expect(await ended(a.accessToken)).toBe('invalid_token')
    expect(await outcome(auth.refresh(a.refreshToken))).toBe('invalid_refresh_token')

    // One session ended from another.
    const b = await signIn('grace')
    const b2 = await logIn('grace')
    const bClaims = auth.verifyAccessToken(b.accessToken).claims
    const b2Claims = auth.verifyAccessToken(b2.accessToken).claims
    failNext()
    expect(await outcome(auth.revokeSession(bClaims.sub, b2Claims.sid))).toBe('service_unavailable')
    // The session is untouched: its refresh token still rotates.
    const rotated = await auth.refresh(b2.refreshToken)
    await auth.revokeSession(bClaims.sub, b2Claims.sid)
    expect(await ended(rotated.accessToken)).toBe('invalid_token')

    // A password change: nothing changed, so the same request works again.
    const c = await signIn('hopper')
    const c2 = await logIn('hopper')
    const cClaims = auth.verifyAccessToken(c.accessToken).claims
    const change = () =>
      auth.changePassword({
        userId: cClaims.sub,
        sessionId: cClaims.sid,
        currentPassword: PASSWORD,
        newPassword: NEW_PASSWORD,
        clientAddress: '::1',
      })
    failNext()
    expect(await outcome(change())).toBe('service_unavailable')
    expect(await ended(c2.accessToken)).toBe('ok')
    await change()
    expect(await ended(c2.accessToken)).toBe('invalid_token')

    // Logout-all: the earlier tokens are refused before any session ends.
    const d = await signIn('lamarr')
    const dClaims = auth.verifyAccessToken(d.accessToken).claims
    failNext()
    expect(await outcome(auth.logoutAll(dClaims.sub))).toBe('service_unavailable')
    expect(await outcome(auth.refresh(d.refreshToken))).toBe('ok')
  })

  it('a reuse ended by the store is recorded in the background when the first recording fails', async () => {
    const { auth, signIn, failNext, clock } = service()
    const first = await signIn('ada')
    const second = await auth.refresh(first.refreshToken)
    clock.advance(settings.reuseGraceSeconds + 1)
    failNext()
    // The reuse is detected and the session ended; its recording failed ...
    expect(await outcome(auth.refresh(first.refreshToken))).toBe('service_unavailable')
    expect(await outcome(auth.refresh(second.refreshToken))).toBe('invalid_refresh_token')
    // ... and is tried again until it is recorded.
    await expect
      .poll(
        () => outcome(Promise.resolve().then(() => auth.verifyAccessToken(second.accessToken))),
        // Its first retry comes 200 ms later: generous for a slow, shared machine.
        { timeout: 10_000 },
      )
      .toBe('invalid_token')
  })
})

describe('the password-strength check of a registration', () => {
  it('runs only behind the registration limit: a flood past it costs no check', async () => {
    let checks = 0
    const passwordPolicy: PasswordPolicy = {
      lengthProblem: () => null,
      problem: async () => {
        checks += 1
        return 'is too easy to guess'
      },
    }
    const { auth } = service({
      passwordPolicy,
      limits: createAbuseLimits({
        rules: {
          ...DEFAULT_ABUSE_LIMIT_RULES,
          registrationsPerAddress: { points: 3, durationSeconds: 3600 },
        },
      }),
    })
    const weak = 'a'.repeat(128)
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        outcome(auth.register({ username: `flood${i}`, password: weak, clientAddress: '::9' })),
      ),
    )
    expect(results.filter((code) => code === 'invalid_request')).toHaveLength(3)
    expect(results.filter((code) => code === 'rate_limited')).toHaveLength(17)
    expect(checks).toBe(3)
  })
})
