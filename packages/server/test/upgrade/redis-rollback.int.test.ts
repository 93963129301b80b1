import { randomBytes } from 'node:crypto'
import { useTestRedis } from '@refresh-kit/testing'
import { expect, it } from 'vitest'
import { createRedisStore } from '../../src/store/redis-store.js'
import * as released from './scripts-0.1.0.js'

const redis = useTestRedis('rollback')

// While instances are replaced one by one, or after going back to 0.1.0, a 0.1.0 instance
// meets the sessions this version wrote. 0.1.0 reads every record of the user's hash at each
// login and listing as six base-36 numbers; a record of this version has five hex numbers and
// a digest, so the script stops on a Lua error: the user can neither log in, refresh nor list
// sessions on that instance until every such session is gone.
it.fails('leaves sessions that a 0.1.0 instance can still log in beside, refresh and list', async () => {
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

  await run(released.createSessionScript, {
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
  })
  const rotated = await run(released.rotateScript, {
    keys: { sessions: `${tag}:s`, userAgent: `${tag}:a:written-now`, user: `${tag}:u` },
    args: { sessionId: 'written-now', generation: 0, now: '', idleMs: 7 * day, graceMs: 10_000 },
  })
  expect((rotated as unknown[])[0]).toBe(1)
  const listed = await run(released.listSessionsScript, {
    keys: { sessions: `${tag}:s` },
    args: { userAgentPrefix: `${tag}:a:`, now: '' },
  })
  expect(listed as unknown[]).toHaveLength(6)
})
