/**
 * `pnpm demo`: starts the token server (packages/server/dist/main.js) with short token
 * lifetimes, on Redis when the configured one accepts its password and on the in-memory store
 * otherwise, seeds the demo user through the API, and serves the built page with the API
 * forwarded on the same origin. Ctrl-C stops everything it started.
 */
import { existsSync } from 'node:fs'
import type { Server } from 'node:http'
import { createServer as createNetServer } from 'node:net'
import { fileURLToPath } from 'node:url'
import { DEMO_USER, type DemoConfig } from '../demo-config.js'
import { probeRedis } from './redis-probe.js'
import { seedUser } from './seed.js'
import { createDemoServer } from './serve.js'
import { startTokenServer, type TokenServerProcess } from './token-server-process.js'

const DEFAULT_REDIS_URL = 'redis://:abcd1234@127.0.0.1:6379'
const webRoot = fileURLToPath(new URL('../web/', import.meta.url))

function port(name: string, fallback: number): number {
  const raw = process.env[name]
  const value = raw === undefined || raw === '' ? fallback : Number(raw)
  if (!Number.isInteger(value) || value < 1 || value > 65535) {
    console.error(`${name} must be a TCP port (1-65535), got ${JSON.stringify(raw)}`)
    process.exit(1)
  }
  return value
}

/** Fails early and clearly when a port is taken (else a server elsewhere could answer for ours). */
function ensureFree(port: number, variable: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = createNetServer()
    probe.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new Error(`Port ${port} is not free (${error.code}): set ${variable} to use another.`),
      ),
    )
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve()))
  })
}

function box(lines: string[]): string {
  const width = Math.max(...lines.map((line) => line.length))
  const bar = '─'.repeat(width + 2)
  return [`┌${bar}┐`, ...lines.map((line) => `│ ${line.padEnd(width)} │`), `└${bar}┘`].join('\n')
}

let server: TokenServerProcess | undefined
let web: Server | undefined
let stopping = false
async function stop(code: number): Promise<void> {
  if (stopping) return
  stopping = true
  web?.closeAllConnections()
  web?.close()
  await server?.stop()
  process.exit(code)
}
process.on('SIGINT', () => {
  console.log('\nStopping the demo…')
  void stop(0)
})
process.on('SIGTERM', () => void stop(0))

async function main(): Promise<void> {
  const apiPort = port('PORT', 3000)
  const pagePort = port('DEMO_PORT', 5173)
  const pageOrigin = `http://localhost:${pagePort}`
  const accessTokenTtl = Number(process.env.ACCESS_TOKEN_TTL ?? 15)
  const redisUrl = process.env.REDIS_URL || DEFAULT_REDIS_URL
  if (!existsSync(webRoot)) {
    throw new Error(
      'The page is not built yet: run `pnpm demo` from the repository root (it builds first).',
    )
  }

  await ensureFree(apiPort, 'PORT')
  await ensureFree(pagePort, 'DEMO_PORT')
  const probe = await probeRedis(redisUrl)
  const tokenStore = probe.status === 'ok' ? 'redis' : 'memory'
  if (probe.status === 'ok') {
    console.log(
      `Redis at ${redisUrl.replace(/:[^:@/]*@/, ':***@')} answers: sessions are stored there.`,
    )
  } else {
    console.log(
      box([
        'No usable Redis: the token server runs on its IN-MEMORY store.',
        `  ${probe.reason}`,
        'Sessions live only in this process and end when it stops.',
        'For Redis:  docker compose up -d redis   (JWT_SECRET and REDIS_PASSWORD set),',
        'then REDIS_URL=redis://:$REDIS_PASSWORD@127.0.0.1:6379 pnpm demo,',
        'or point REDIS_URL at a password-protected Redis of your own.',
      ]),
    )
  }

  server = await startTokenServer({
    port: apiPort,
    env: {
      TOKEN_STORE: tokenStore,
      REDIS_URL: redisUrl,
      ACCESS_TOKEN_TTL: String(accessTokenTtl),
      // The page reaches the API through its own origin (see serve.ts); listed for direct calls.
      CORS_ORIGINS: process.env.CORS_ORIGINS ?? `${pageOrigin},http://127.0.0.1:${pagePort}`,
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
      // Every request reaches the server through the demo server on this machine.
      TRUST_PROXY: 'true',
      // Secure by default, as in production: Chromium keeps a Secure cookie that
      // http://localhost sets. COOKIE_SECURE=false only for a browser or host that drops it.
      COOKIE_SECURE: process.env.COOKIE_SECURE ?? 'true',
    },
    onUnexpectedExit: (how) => {
      // A Ctrl-C reaches the server too; give our own SIGINT handler its turn first.
      setTimeout(() => {
        if (stopping) return
        console.error(
          `The token server exited (${how}). Is port ${apiPort} taken? Set PORT to use another.`,
        )
        void stop(1)
      }, 200)
    },
  })
  const seeded = await seedUser(server.url, DEMO_USER)

  const config: DemoConfig = {
    tokenStore,
    accessTokenTtl,
    demoUser: { ...DEMO_USER },
    ...(probe.status === 'ok' ? {} : { redisProblem: probe.reason }),
  }
  const listening = createDemoServer({ root: webRoot, apiUrl: server.url, config })
  web = listening
  await new Promise<void>((resolve, reject) => {
    listening.once('error', reject)
    listening.listen(pagePort, process.env.DEMO_HOST ?? '127.0.0.1', resolve)
  }).catch((error: NodeJS.ErrnoException) => {
    throw new Error(
      `The page cannot listen on port ${pagePort} (${error.code}). Set DEMO_PORT to use another.`,
    )
  })

  console.log(
    [
      '',
      `Demo user ${DEMO_USER.username} / ${DEMO_USER.password} (${seeded === 'created' ? 'created' : 'already there'})`,
      `Token server ${server.url}: ${tokenStore} store, access tokens live ${accessTokenTtl} s`,
      '',
      `  ➜  Open ${pageOrigin}`,
      '',
      'Press Ctrl-C to stop.',
    ].join('\n'),
  )
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error)
  void stop(1)
})
