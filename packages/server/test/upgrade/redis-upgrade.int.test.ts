import { readdirSync, readFileSync } from 'node:fs'
import { useTestRedis } from '@refresh-kit/testing'
import request from 'supertest'
import { afterEach, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config/load.js'
import { silentLogger } from '../../src/logger.js'
import { type ConfiguredServer, createServerFromConfig } from '../../src/server.js'
import {
  RECORDING_CREDENTIALS,
  RECORDING_SECRETS,
  RECORDING_USER_AGENT,
  type RecordedLayout,
  writeRecordedLayout,
} from './layout.js'

const redis = useTestRedis('upgrade')

/** Every committed layout of a previous release (redis-layout-<version>.json). */
const layouts: RecordedLayout[] = readdirSync(new URL('.', import.meta.url))
  .filter((name) => /^redis-layout-.+\.json$/.test(name))
  .map((name) => JSON.parse(readFileSync(new URL(name, import.meta.url), 'utf8')))

let servers: ConfiguredServer[] = []
let run = 0

afterEach(async () => {
  await Promise.all(servers.map((server) => server.close()))
  servers = []
})

/**
 * Writes a recorded layout under a fresh prefix, as its release left it moments ago, and starts
 * the current token server on that data with the recording's keys.
 */
async function upgradedServer(layout: RecordedLayout) {
  run += 1
  const keyPrefix = `${redis.keyPrefix}${run}:`
  const client = redis.client()
  await writeRecordedLayout(client, layout, { keyPrefix, now: Date.now() })
  const config = loadConfig({
    TOKEN_STORE: 'redis',
    REDIS_URL: redis.url,
    REDIS_KEY_PREFIX: keyPrefix,
    JWT_SECRET: RECORDING_SECRETS.jwtSecret,
    REFRESH_TOKEN_SECRET: RECORDING_SECRETS.refreshTokenSecret,
    LOG_LEVEL: 'silent',
  })
  const server = createServerFromConfig(config, { redis: client, logger: silentLogger })
  servers.push(server)
  const http = request(server.app.callback())
  const refresh = (refreshToken: string) => http.post('/auth/refresh').send({ refreshToken })
  const me = (accessToken: string) =>
    http.get('/auth/me').set('Authorization', `Bearer ${accessToken}`)
  return { http, refresh, me, keyPrefix, client }
}

it('has the layout of 0.1.0 committed', () => {
  expect(layouts.map((layout) => layout.version)).toContain('0.1.0')
})

describe.each(layouts.map((layout) => [layout.version, layout] as const))(
  'Redis data written by %s',
  (_version, layout) => {
    const { browser, rotated } = layout.sessions

    it('is written back exactly: every recorded key, with its value and a TTL', async () => {
      const { client, keyPrefix } = await upgradedServer(layout)
      for (const entry of layout.keys) {
        const key = `${keyPrefix}${entry.key}`
        if (entry.type === 'string') expect(await client.get(key)).toBe(entry.value)
        else
          expect(Object.keys(await client.hgetall(key)).sort()).toEqual(
            Object.keys(entry.value).sort(),
          )
        expect(entry.pttl).toBeGreaterThan(0)
        expect(await client.pttl(key)).toBeGreaterThan(0)
      }
    })

    it('refreshes a session that was never refreshed, and its successor refreshes again', async () => {
      const { refresh, me } = await upgradedServer(layout)
      const first = await refresh(browser.refreshToken)
      expect(first.status).toBe(200)
      expect(first.body).toMatchObject({ tokenType: 'Bearer', refreshToken: expect.any(String) })
      expect(first.body.refreshToken).not.toBe(browser.refreshToken)
      const who = await me(first.body.accessToken)
      expect(who.status).toBe(200)
      expect(who.body).toEqual({
        id: layout.userId,
        username: RECORDING_CREDENTIALS.username,
        sessionId: browser.id,
      })
      const second = await refresh(first.body.refreshToken)
      expect(second.status).toBe(200)
      expect(second.body.refreshToken).not.toBe(first.body.refreshToken)
    })

    it('keeps rotation rules on a rotated session: grace for the previous token, then reuse detection', async () => {
      const { refresh } = await upgradedServer(layout)
      // Within the grace window of the recorded rotation, the previous token gets the same
      // successor the client already holds.
      const retried = await refresh(rotated.previousRefreshToken)
      expect(retried.status).toBe(200)
      expect(retried.body.refreshToken).toBe(rotated.refreshToken)
      const next = await refresh(rotated.refreshToken)
      expect(next.status).toBe(200)
      // Two rotations behind now: a replayed old token ends the session.
      const replayed = await refresh(rotated.previousRefreshToken)
      expect(replayed.status).toBe(401)
      expect(replayed.body.error).toBe('refresh_token_reused')
      const afterReuse = await refresh(next.body.refreshToken)
      expect(afterReuse.status).toBe(401)
    })

    it("signs the user in with the recorded password, and lists the release's sessions", async () => {
      const { http } = await upgradedServer(layout)
      const login = await http.post('/auth/login').send(RECORDING_CREDENTIALS)
      expect(login.status).toBe(200)
      const listed = await http
        .get('/auth/sessions')
        .set('Authorization', `Bearer ${login.body.accessToken}`)
      expect(listed.status).toBe(200)
      const byId = new Map(
        (listed.body.sessions as { id: string; userAgent: string | null }[]).map((session) => [
          session.id,
          session,
        ]),
      )
      expect(byId.get(browser.id)?.userAgent).toBe(RECORDING_USER_AGENT)
      expect(byId.get(rotated.id)?.userAgent).toBeNull()
      expect(byId.size).toBe(3)
    })

    it('ends a session of the release on logout', async () => {
      const { http, refresh } = await upgradedServer(layout)
      const logout = await http.post('/auth/logout').send({ refreshToken: browser.refreshToken })
      expect(logout.status).toBe(204)
      const after = await refresh(browser.refreshToken)
      expect(after.status).toBe(401)
      expect(after.body.error).toBe('invalid_refresh_token')
    })
  },
)
