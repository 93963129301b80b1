// What an app would write without refresh-kit, as the libraries' READMEs show it, run as its
// own process for the server benchmarks:
// - `GET /auth/me` behind koa-jwt, which verifies with jsonwebtoken and a string secret;
// - `POST /auth/refresh` as the common Redis rotation: GET the opaque token's record, DEL
//   it, SET its successor: three round trips, no reuse detection, no grace, no session
//   lifetime. It does less than refresh-kit's rotation on purpose: it is the floor users
//   compare against.
// Environment: PORT, HOST, REDIS_URL, BASELINE_JWT_SECRET, BASELINE_KEY_PREFIX.
import { randomBytes } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { Router } from '@koa/router'
import { Redis } from 'ioredis'
import jsonwebtoken from 'jsonwebtoken'
import Koa from 'koa'
import bodyParser from 'koa-bodyparser'
import koaJwt from 'koa-jwt'

const secret = process.env.BASELINE_JWT_SECRET ?? ''
if (secret === '') throw new Error('BASELINE_JWT_SECRET is required')
const prefix = process.env.BASELINE_KEY_PREFIX ?? 'naive:'
const redis = new Redis(process.env.REDIS_URL ?? '')
const REFRESH_TTL_SECONDS = 7 * 24 * 3600

interface RefreshRecord {
  userId: string
  username: string
}

const app = new Koa()
const router = new Router()

router.post('/auth/refresh', async (ctx) => {
  const token = (ctx.request.body as { refreshToken?: unknown } | undefined)?.refreshToken
  if (typeof token !== 'string') return ctx.throw(400, 'refreshToken is required')
  const stored = await redis.get(`${prefix}${token}`)
  if (stored === null) return ctx.throw(401, 'invalid refresh token')
  await redis.del(`${prefix}${token}`)
  const record = JSON.parse(stored) as RefreshRecord
  const refreshToken = randomBytes(32).toString('base64url')
  await redis.set(`${prefix}${refreshToken}`, stored, 'EX', REFRESH_TTL_SECONDS)
  const accessToken = jsonwebtoken.sign({ sub: record.userId, username: record.username }, secret, {
    expiresIn: '15m',
  })
  ctx.body = { accessToken, refreshToken, tokenType: 'Bearer', expiresIn: 900 }
})

router.get('/auth/me', (ctx) => {
  const user = ctx.state.user as { sub: string; username: string }
  ctx.body = { id: user.sub, username: user.username }
})

app.use(bodyParser())
app.use(koaJwt({ secret }).unless({ path: [/^\/auth\/refresh/] }))
app.use(router.routes())
app.use(router.allowedMethods())

const server = app.listen(Number(process.env.PORT ?? 0), process.env.HOST ?? '127.0.0.1', () => {
  const { address, port } = server.address() as AddressInfo
  process.stdout.write(`baseline listening on http://${address}:${port}\n`)
})

process.once('SIGTERM', () => {
  server.close(() => {
    redis.disconnect()
    process.exit(0)
  })
  server.closeAllConnections()
})
