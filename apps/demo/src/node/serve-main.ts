/**
 * The compose `demo` service: serves the built page and forwards the API to the `server`
 * service (same origin for the page), seeding the demo user once the API answers.
 * Environment: DEMO_API_URL (http://server:3000), DEMO_PORT (5173), DEMO_HOST (0.0.0.0),
 * DEMO_TOKEN_STORE (redis), ACCESS_TOKEN_TTL (15, as the server was given).
 */
import { fileURLToPath } from 'node:url'
import { DEMO_USER } from '../demo-config.js'
import { seedUser, waitForHealthy } from './seed.js'
import { createDemoServer } from './serve.js'

const apiUrl = process.env.DEMO_API_URL ?? 'http://server:3000'
const port = Number(process.env.DEMO_PORT ?? 5173)
const host = process.env.DEMO_HOST ?? '0.0.0.0'
const tokenStore = process.env.DEMO_TOKEN_STORE === 'memory' ? 'memory' : 'redis'

const server = createDemoServer({
  root: fileURLToPath(new URL('../web/', import.meta.url)),
  apiUrl,
  config: {
    tokenStore,
    accessTokenTtl: Number(process.env.ACCESS_TOKEN_TTL ?? 15),
    demoUser: { ...DEMO_USER },
  },
})
server.listen(port, host, () => {
  console.log(`refresh-kit demo page on http://${host}:${port}, API forwarded to ${apiUrl}`)
})
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    server.closeAllConnections()
    server.close(() => process.exit(0))
  })
}

waitForHealthy(apiUrl, { timeoutMs: 120_000 })
  .then(() => seedUser(apiUrl, DEMO_USER))
  .then((outcome) => console.log(`demo user ${DEMO_USER.username}: ${outcome}`))
  .catch((error: unknown) => console.error(error instanceof Error ? error.message : error))
