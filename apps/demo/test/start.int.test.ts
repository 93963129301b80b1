import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { freePort, useTestRedis } from '@refresh-kit/testing'
import { afterEach, describe, expect, it } from 'vitest'

const redis = useTestRedis('demo-start')
const startScript = fileURLToPath(new URL('../dist/node/start.js', import.meta.url))
const running = new Set<ChildProcess>()

afterEach(() => {
  for (const child of running) child.kill('SIGKILL')
  running.clear()
})

/** Runs `pnpm demo`'s start script (the built one) until it prints the page URL. */
async function startDemoProcess(env: Record<string, string>) {
  const apiPort = await freePort()
  const pagePort = await freePort()
  const child = spawn(process.execPath, [startScript], {
    env: {
      ...process.env,
      ...env,
      PORT: String(apiPort),
      DEMO_PORT: String(pagePort),
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  running.add(child)
  let output = ''
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString()
  })
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString()
  })
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  )
  const deadline = Date.now() + 45_000
  while (!output.includes(`Open http://localhost:${pagePort}`)) {
    if (child.exitCode !== null) throw new Error(`the demo exited early:\n${output}`)
    if (Date.now() > deadline) throw new Error(`the demo did not start:\n${output}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return { child, apiPort, pagePort, output: () => output, exited }
}

async function answers(url: string): Promise<boolean> {
  return fetch(url).then(
    () => true,
    () => false,
  )
}

describe('pnpm demo (the start script)', () => {
  it('uses a Redis that accepts its password, seeds the demo user, and Ctrl-C stops the token server too', async () => {
    const demo = await startDemoProcess({ REDIS_URL: redis.url, REDIS_KEY_PREFIX: redis.keyPrefix })
    const page = `http://127.0.0.1:${demo.pagePort}`
    expect(demo.output()).toContain('answers: sessions are stored there')
    expect(demo.output()).not.toContain('IN-MEMORY')
    expect(await (await fetch(`${page}/demo-config.json`)).json()).toMatchObject({
      tokenStore: 'redis',
    })
    const login = await fetch(`${page}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'demo', password: 'demo horse battery' }),
    })
    expect(login.status).toBe(200)
    expect((await redis.keys()).length).toBeGreaterThan(0)

    demo.child.kill('SIGINT')
    expect(await demo.exited).toBe(0)
    expect(await answers(`http://127.0.0.1:${demo.apiPort}/healthz`)).toBe(false)
    expect(await answers(page)).toBe(false)
  })

  it('falls back to the in-memory store, with a banner, when nothing answers at REDIS_URL', async () => {
    const demo = await startDemoProcess({
      REDIS_URL: `redis://:abcd1234@127.0.0.1:${await freePort()}`,
    })
    expect(demo.output()).toContain(
      'No usable Redis: the token server runs on its IN-MEMORY store.',
    )
    expect(demo.output()).toContain('docker compose up -d redis')
    const config = await (await fetch(`http://127.0.0.1:${demo.pagePort}/demo-config.json`)).json()
    expect(config).toMatchObject({
      tokenStore: 'memory',
      redisProblem: expect.stringContaining('is not reachable'),
    })

    demo.child.kill('SIGTERM')
    expect(await demo.exited).toBe(0)
    expect(await answers(`http://127.0.0.1:${demo.apiPort}/healthz`)).toBe(false)
  })
})
