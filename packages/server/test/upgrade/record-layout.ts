// Records the Redis data layout of this version of the token server: what a registration,
// two logins (one from a browser) and a refresh leave in Redis, key by key with values and
// TTLs, plus the tokens the client holds. Run it on the commit of a release, before the layout
// changes, and commit the file it writes; redis-upgrade.int.test.ts then proves that sessions
// written that way keep refreshing with later code.
//
//   REDIS_URL=redis://:password@127.0.0.1:6379 pnpm --filter @refresh-kit/server run record:redis-layout
//
// Writes test/upgrade/redis-layout-<version>.json, and refuses to replace one that exists
// (--force does). Uses its own random key prefix and deletes its keys afterwards.
import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { Redis } from 'ioredis'
import request from 'supertest'
import { loadConfig } from '../../src/config/load.js'
import { silentLogger } from '../../src/logger.js'
import { createServerFromConfig } from '../../src/server.js'
import { failFastRedisOptions } from '../../src/store/redis-options.js'
import {
  RECORDING_CREDENTIALS,
  RECORDING_SECRETS,
  RECORDING_USER_AGENT,
  type RecordedKey,
  type RecordedLayout,
} from './layout.js'

const version: string = JSON.parse(
  readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
).version
const redisUrl = process.env.REDIS_URL
if (redisUrl === undefined) throw new Error('set REDIS_URL to a Redis to record on')
const file = new URL(`./redis-layout-${version}.json`, import.meta.url)
// A committed layout is what its release wrote: recording later code under the same version
// would replace the proof with something else.
if (existsSync(file) && !process.argv.includes('--force')) {
  throw new Error(
    `${file.pathname} exists: the layout of ${version} is recorded (--force to replace it)`,
  )
}

const keyPrefix = `record:${randomBytes(4).toString('hex')}:`
const redis = new Redis(redisUrl, { ...failFastRedisOptions })
try {
  const config = loadConfig({
    TOKEN_STORE: 'redis',
    REDIS_URL: redisUrl,
    REDIS_KEY_PREFIX: keyPrefix,
    JWT_SECRET: RECORDING_SECRETS.jwtSecret,
    REFRESH_TOKEN_SECRET: RECORDING_SECRETS.refreshTokenSecret,
    LOG_LEVEL: 'silent',
  })
  const server = createServerFromConfig(config, { redis, logger: silentLogger })
  const http = request(server.app.callback())
  const expectStatus = (res: request.Response, status: number, what: string) => {
    if (res.status !== status) throw new Error(`${what}: ${res.status} ${JSON.stringify(res.body)}`)
    return res.body
  }
  const registered = expectStatus(
    await http.post('/auth/register').send(RECORDING_CREDENTIALS),
    201,
    'register',
  )
  const browser = expectStatus(
    await http
      .post('/auth/login')
      .set('User-Agent', RECORDING_USER_AGENT)
      .send(RECORDING_CREDENTIALS),
    200,
    'login from a browser',
  )
  // supertest sends no User-Agent unless told: this session has none, as from a server-side client.
  const first = expectStatus(
    await http.post('/auth/login').send(RECORDING_CREDENTIALS),
    200,
    'login',
  )
  const rotated = expectStatus(
    await http.post('/auth/refresh').send({ refreshToken: first.refreshToken }),
    200,
    'refresh',
  )
  const me = (accessToken: string) =>
    http.get('/auth/me').set('Authorization', `Bearer ${accessToken}`)
  const browserSession = expectStatus(await me(browser.accessToken), 200, 'me').sessionId
  const rotatedSession = expectStatus(await me(rotated.accessToken), 200, 'me').sessionId
  await server.close()
  // The moment the data is read: a replay shifts every time by its distance from now.
  const recordedAt = Date.now()

  const keys: RecordedKey[] = []
  let cursor = '0'
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${keyPrefix}*`, 'COUNT', 1000)
    cursor = next
    for (const key of batch) {
      const type = await redis.type(key)
      const pttl = await redis.pttl(key)
      const name = key.slice(keyPrefix.length)
      if (type === 'string')
        keys.push({ key: name, type, pttl, value: (await redis.get(key)) ?? '' })
      else if (type === 'hash')
        keys.push({ key: name, type, pttl, value: await redis.hgetall(key) })
      else throw new Error(`${key}: a ${type} key; the recorder knows strings and hashes`)
    }
  } while (cursor !== '0')
  keys.sort((a, b) => a.key.localeCompare(b.key))
  if (keys.length > 0) await redis.unlink(...keys.map((entry) => `${keyPrefix}${entry.key}`))

  const layout: RecordedLayout = {
    version,
    recordedAt,
    userId: registered.user.id,
    sessions: {
      browser: { id: browserSession, refreshToken: browser.refreshToken },
      rotated: {
        id: rotatedSession,
        refreshToken: rotated.refreshToken,
        previousRefreshToken: first.refreshToken,
      },
    },
    keys,
  }
  writeFileSync(file, `${JSON.stringify(layout, null, 2)}\n`)
  process.stdout.write(`recorded ${keys.length} keys of ${version} in ${file.pathname}\n`)
} finally {
  redis.disconnect()
}
