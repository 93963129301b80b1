/**
 * `pnpm demo:node`: the client SDK in Node. Signs in, calls `/auth/me` across several
 * access-token lifetimes (3 s here) printing every request and every refresh, fires a burst of
 * 20 requests on a stale token, and signs out. It starts its own token server (the built
 * main, in-memory store) unless DEMO_SERVER_URL points at one.
 */
import { createServer } from 'node:net'
import { createAuthClient, memoryStorage } from '@refresh-kit/client-sdk'
import { decodeJwtPayload, type MeResponse, ROUTES } from '@refresh-kit/shared'
import axios from 'axios'
import { DEMO_USER } from '../demo-config.js'
import { makeStale } from '../stale-token.js'
import { seedUser } from './seed.js'
import { startTokenServer, type TokenServerProcess } from './token-server-process.js'

const ACCESS_TOKEN_TTL = 3
const LEEWAY_SECONDS = 1
const REFRESHES_TO_SHOW = 3
const started = Date.now()
const stamp = () => `+${((Date.now() - started) / 1000).toFixed(2).padStart(6)} s`
const say = (line: string) => console.log(`${stamp()}  ${line}`)
const generation = (refreshToken: string) => refreshToken.split('.')[3] ?? '?'
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address()
      probe.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0))
    })
  })
}

async function main(): Promise<void> {
  let server: TokenServerProcess | undefined
  const external = process.env.DEMO_SERVER_URL
  const baseURL = external ?? ''
  try {
    if (external === undefined || external === '') {
      server = await startTokenServer({
        port: await freePort(),
        env: {
          TOKEN_STORE: 'memory',
          ACCESS_TOKEN_TTL: String(ACCESS_TOKEN_TTL),
          LOG_LEVEL: 'warn',
        },
      })
      say(
        `token server started at ${server.url} (in-memory store, access tokens live ${ACCESS_TOKEN_TTL} s)`,
      )
    } else {
      say(`using the token server at ${external}`)
    }
    const apiUrl = server?.url ?? baseURL
    await seedUser(apiUrl, DEMO_USER)

    let refreshesSent = 0
    const http = axios.create({ baseURL: apiUrl })
    // Before the client's interceptors: this one sees each request as it leaves.
    http.interceptors.request.use((config) => {
      if (config.url?.endsWith(ROUTES.refresh)) refreshesSent += 1
      return config
    })
    const storage = memoryStorage()
    const auth = createAuthClient({
      baseURL: apiUrl,
      axios: http,
      storage,
      leewaySeconds: LEEWAY_SECONDS,
    })
    auth.on('refresh', (event) => {
      if (event.phase === 'start') say(`  ↻ refresh started (${event.trigger})`)
      else {
        say(
          `  ↻ refreshed: refresh token generation ${generation(event.tokens.refreshToken)}, ${event.released} waiting request${event.released === 1 ? '' : 's'} released`,
        )
      }
    })
    auth.on('sessionExpired', (error) => say(`  ✗ session expired (${error.code})`))
    auth.on('logout', () => say('  signed out: tokens cleared'))

    const tokens = await auth.login(DEMO_USER)
    say(
      `signed in as ${DEMO_USER.username}: refresh token generation ${generation(tokens.refreshToken)}`,
    )

    const deadline = Date.now() + 15_000
    let calls = 0
    while (refreshesSent < REFRESHES_TO_SHOW && Date.now() < deadline) {
      calls += 1
      const { data, config } = await auth.http.get<MeResponse>(ROUTES.me)
      const bearer = String(config.headers.Authorization ?? '').slice('Bearer '.length)
      const { jti, exp } = decodeJwtPayload(bearer)
      const left = typeof exp === 'number' ? (exp * 1000 - Date.now()) / 1000 : Number.NaN
      say(
        `GET /auth/me #${calls} → 200 ${data.username} (token ${String(jti).slice(0, 8)}…, ${left.toFixed(1)} s left)`,
      )
      await sleep(700)
    }

    // Stale on demand: the stored expiry moves into the past, so the next requests refresh first.
    await makeStale(storage, 'rewind')
    const before = refreshesSent
    say('burst: the stored access token is made stale, then 20 requests at once')
    const answers = await Promise.all(Array.from({ length: 20 }, () => auth.http.get(ROUTES.me)))
    say(
      `burst: ${answers.filter((answer) => answer.status === 200).length} of 20 answered 200 after ${refreshesSent - before} refresh request${refreshesSent - before === 1 ? '' : 's'}`,
    )

    await auth.logout()
    const after = await auth.http.get(ROUTES.me).catch((error: unknown) => error)
    if (axios.isAxiosError(after)) {
      say(
        `GET /auth/me after logout → ${after.response?.status} ${(after.response?.data as { error?: string })?.error}`,
      )
    }
    say(`done: ${calls + 21} API calls, ${refreshesSent} refresh requests in all`)
  } finally {
    await server?.stop()
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error)
  process.exitCode = 1
})
