import { randomBytes } from 'node:crypto'
import type { TokenResponse } from '@refresh-kit/shared'
import type { Cluster, Redis } from 'ioredis'
import request from 'supertest'
import { expect } from 'vitest'
import { loadConfig } from '../../../src/config/load.js'
import { type ConfiguredServer, createServerFromConfig } from '../../../src/server.js'
import { cheapPasswords, JWT_SECRET } from '../../support/harness.js'

/** One token-server instance as `main.ts` assembles it, on its own Redis client. */
export interface Instance {
  readonly name: string
  readonly server: ConfiguredServer
  readonly http: ReturnType<typeof request>
  readonly redis: Redis | Cluster
}

/** What {@link instanceFactory} needs: a fresh client per instance, and the key prefix. */
export interface InstanceFactoryOptions {
  client(): Redis | Cluster
  keyPrefix: string
  env?: Record<string, string>
}

/**
 * Starts instances that share one Redis (and its revocations) the way separate processes
 * behind a load balancer would: own client, own subscriber, own revocation list.
 */
export function instanceFactory(options: InstanceFactoryOptions) {
  const started: Instance[] = []
  const start = async (name: string): Promise<Instance> => {
    const config = loadConfig({
      JWT_SECRET,
      REDIS_KEY_PREFIX: options.keyPrefix,
      TOKEN_STORE: 'redis',
      LOG_LEVEL: 'silent',
      // A rotated token presented again is reuse at once, with no window to wait out.
      REFRESH_REUSE_GRACE: '0',
      ...options.env,
    })
    const redis = options.client()
    // Outages are what some tests cause; the store reports them as 503s.
    redis.on('error', () => {})
    const server = createServerFromConfig(config, { redis, passwords: cheapPasswords })
    await server.ready()
    const instance = { name, server, http: request(server.app.callback()), redis }
    started.push(instance)
    return instance
  }
  const stopAll = async () => {
    await Promise.all(
      started.splice(0).map(async ({ server, redis }) => {
        await server.close()
        await redis.quit().catch(() => redis.disconnect())
      }),
    )
  }
  return { start, stopAll }
}

let users = 0

/** Registers a fresh user on `instance`. */
export async function register(instance: Instance) {
  users += 1
  const username = `rv${users}.${randomBytes(4).toString('hex')}`
  const password = 'correct horse battery'
  const res = await instance.http.post('/auth/register').send({ username, password })
  expect(res.status, res.text).toBe(201)
  return { id: res.body.user.id as string, username, password }
}

/** Logs `user` in on `instance`. */
export async function login(
  instance: Instance,
  user: { username: string; password: string },
): Promise<TokenResponse> {
  const res = await instance.http.post('/auth/login').send(user)
  expect(res.status, res.text).toBe(200)
  return res.body as TokenResponse
}

/** `GET /auth/me` with `accessToken` on `instance`: the status and the challenge. */
export async function me(instance: Instance, accessToken: string) {
  const res = await instance.http.get('/auth/me').set('Authorization', `Bearer ${accessToken}`)
  return {
    status: res.status,
    error: res.body?.error as string | undefined,
    challenge: res.headers['www-authenticate'] as string | undefined,
  }
}

/**
 * Polls until `instance` refuses `accessToken` as an ended session, and returns how long
 * that took. The bound is generous: the promptness itself is measured by the benchmark.
 */
export async function refusedWithin(
  instance: Instance,
  accessToken: string,
  boundMs = 10_000,
): Promise<number> {
  const started = performance.now()
  for (;;) {
    const answer = await me(instance, accessToken)
    if (answer.status === 401) {
      expect(answer.error).toBe('invalid_token')
      expect(answer.challenge).toMatch(/error="invalid_token", error_description=".*session.*ended/)
      return performance.now() - started
    }
    expect(answer.status).toBe(200)
    if (performance.now() - started > boundMs) {
      throw new Error(`${instance.name} still accepted the token after ${boundMs} ms`)
    }
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}
