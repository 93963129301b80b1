import { randomBytes } from 'node:crypto'
import { useTestRedis } from '@refresh-kit/testing'
import { expect, it } from 'vitest'
import { createRedisStore } from '../../src/store/redis-store.js'
import * as released from './scripts-0.1.0.js'

const redis = useTestRedis('rollback')

// 0.1.0 reads every record of a user's hash at each login and listing as six base-36
// numbers; a record of this version has five hex numbers and a digest. So a 0.1.0 instance
// cannot serve a user holding one: the changeset and the README say to upgrade every instance
// at once and not to go back. This pins that constraint; if it ever stops holding, so does
// the warning.
it('a 0.1.0 instance cannot log in, refresh or list for a user holding a session of this version', async () => {
  const client = redis.client()
  const keyPrefix = `${redis.keyPrefix}rollback:`
  const store = createRedisStore({ redis: client, keyPrefix })
  const userId = randomBytes(8).toString('hex')
  await store.createUser({ id: userId, username: `rb.${userId}`, passwordHash: 'h', createdAt: 0 })
  const day = 24 * 3600 * 1000
  await store.createSession({
    userId,
    sessionId: 'written-now',
    userAgent: 'Mozilla/5.0 (X11)',
    now: Date.now(),
    idleTtlSeconds: 7 * 24 * 3600,
    maxAgeSeconds: 30 * 24 * 3600,
  })
  const tag = `${keyPrefix}{u:${userId}}`
  const run = <K extends string, A extends string>(
    script: released.StoreScript<K, A>,
    input: released.ScriptInput<K, A>,
  ) => client.eval(script.lua, script.numberOfKeys, ...released.scriptArguments(script, input))

  const fails = /arithmetic|attempt to/
  await expect(
    run(released.createSessionScript, {
      keys: { sessions: `${tag}:s`, userAgent: `${tag}:a:old-login`, user: `${tag}:u` },
      args: {
        sessionId: 'old-login',
        now: '',
        idleMs: 7 * day,
        maxAgeMs: 30 * day,
        userTtlMs: 400 * day,
        hasUserAgent: '1',
        userAgent: 'curl/8.5',
        userAgentPrefix: `${tag}:a:`,
        indexRenewalSeconds: 3600,
        maxSessions: 50,
      },
    }),
  ).rejects.toThrow(fails)
  await expect(
    run(released.rotateScript, {
      keys: { sessions: `${tag}:s`, userAgent: `${tag}:a:written-now`, user: `${tag}:u` },
      args: { sessionId: 'written-now', generation: 0, now: '', idleMs: 7 * day, graceMs: 10_000 },
    }),
  ).rejects.toThrow(fails)
  await expect(
    run(released.listSessionsScript, {
      keys: { sessions: `${tag}:s` },
      args: { userAgentPrefix: `${tag}:a:`, now: '' },
    }),
  ).rejects.toThrow(fails)
})
