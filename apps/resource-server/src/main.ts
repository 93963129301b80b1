import { randomBytes } from 'node:crypto'
import {
  authSettingsOf,
  createAuthService,
  createPasswordHasher,
  createRedisStore,
  createTokenKeys,
  failFastRedisOptions,
  loadConfig,
} from '@refresh-kit/server'
import { Redis } from 'ioredis'
import { createResourceApp, grantScopes } from './app.js'

// The only module that reads process.env.
const env = process.env
const port = Number(env.PORT ?? 4000)
const host = env.HOST ?? '127.0.0.1'
const readers = (env.ORDER_READERS ?? 'demo')
  .split(',')
  .map((name) => name.trim())
  .filter((name) => name !== '')

if (env.JWT_SECRET === undefined) {
  process.stderr.write('JWT_SECRET is not set: using a random one; tokens end with the process\n')
}
const redis = new Redis(env.REDIS_URL ?? 'redis://:abcd1234@127.0.0.1:6379', {
  ...failFastRedisOptions,
})
const store = createRedisStore({ redis, keyPrefix: env.REDIS_KEY_PREFIX ?? 'rk-example:' })
const auth = createAuthService({
  // The token server's own variables (ACCESS_TOKEN_TTL, REFRESH_TOKEN_TTL, …) apply here too.
  ...authSettingsOf(loadConfig(env)),
  store,
  keys: createTokenKeys({ jwtSecret: env.JWT_SECRET ?? randomBytes(32) }),
  passwords: createPasswordHasher(),
  accessTokenClaims: grantScopes(readers),
})
const server = createResourceApp({ auth, store }).listen(port, host, () => {
  const address = server.address()
  const bound = typeof address === 'object' && address !== null ? address.port : port
  process.stdout.write(
    `example resource server listening on http://${host}:${bound} (auth under /identity, GET /api/orders needs orders:read)\n`,
  )
})

const stop = () => {
  server.close(() => {
    redis.disconnect()
    process.exit(0)
  })
  server.closeIdleConnections()
}
process.once('SIGTERM', stop)
process.once('SIGINT', stop)
