import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { connect } from 'node:net'
import { fileURLToPath } from 'node:url'
import { freePort, type RedisServerProcess, startRedisServer } from '@refresh-kit/testing'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const packageDir = fileURLToPath(new URL('..', import.meta.url))

interface Run {
  child: ChildProcess
  stdout: () => string
  stderr: () => string
  exited: Promise<number | null>
}

/** Runs src/main.ts from source (tsx), with only the given environment. */
function runMain(env: Record<string, string>): Run {
  const child = spawn(
    process.execPath,
    ['--conditions=@refresh-kit/source', '--import', 'tsx', 'src/main.ts'],
    { cwd: packageDir, env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', ...env } },
  )
  return watch(child)
}

function watch(child: ChildProcess): Run {
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString()
  })
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
  })
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  )
  return { child, stdout: () => stdout, stderr: () => stderr, exited }
}

/** Runs the built server, `node dist/main.js`, as it is shipped, with only the given environment. */
function runBuilt(env: Record<string, string>): Run {
  const entry = fileURLToPath(new URL('../dist/main.js', import.meta.url))
  if (!existsSync(entry)) {
    throw new Error(
      `${entry} is missing: build the server first (pnpm --filter @refresh-kit/server build)`,
    )
  }
  return watch(
    spawn(process.execPath, [entry], {
      cwd: packageDir,
      env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', ...env },
    }),
  )
}

async function until(check: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

describe('main.ts as a process', () => {
  let redis: RedisServerProcess
  beforeAll(async () => {
    redis = await startRedisServer()
  })
  afterAll(async () => {
    await redis?.dispose()
  })

  it('prints one listening line, answers /healthz, and exits 0 on SIGTERM', async () => {
    const port = await freePort()
    const run = runMain({ PORT: String(port), HOST: '127.0.0.1', REDIS_URL: redis.url })
    try {
      await until(() => run.stdout().includes('listening'), 'the listening line')
      expect(run.stdout()).toContain(
        `refresh-kit token server listening on http://127.0.0.1:${port} (store: redis)\n`,
      )
      const health = await fetch(`http://127.0.0.1:${port}/healthz`)
      expect(health.status).toBe(200)
      expect(await health.json()).toEqual({ status: 'ok' })
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`)
      expect(ready.status).toBe(200)
      run.child.kill('SIGTERM')
      expect(await run.exited).toBe(0)
      expect(run.stdout().match(/listening on/g)).toHaveLength(1)
    } finally {
      run.child.kill('SIGKILL')
    }
  })

  it('finishes a request in flight when SIGTERM arrives, then exits 0', async () => {
    const port = await freePort()
    const run = runMain({ PORT: String(port), HOST: '127.0.0.1', REDIS_URL: redis.url })
    try {
      await until(() => run.stdout().includes('listening'), 'the listening line')
      // Half a request: the server holds it open until the rest of the body arrives.
      const socket = connect(port, '127.0.0.1')
      let response = ''
      socket.on('data', (chunk: Buffer) => {
        response += chunk.toString()
      })
      const body = JSON.stringify({ refreshToken: 'not-a-token' })
      await new Promise<void>((resolve) => socket.once('connect', () => resolve()))
      socket.write(
        `POST /auth/refresh HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body.slice(0, 5)}`,
      )
      await new Promise((resolve) => setTimeout(resolve, 300))
      run.child.kill('SIGTERM')
      await new Promise((resolve) => setTimeout(resolve, 300))
      expect(run.child.exitCode).toBeNull()
      socket.write(body.slice(5))
      await new Promise((resolve) => socket.once('close', resolve))
      expect(response).toMatch(/^HTTP\/1\.1 401 /)
      expect(response).toContain('"error":"invalid_refresh_token"')
      expect(await run.exited).toBe(0)
    } finally {
      run.child.kill('SIGKILL')
    }
  })

  it('rotates through its pipelined Redis client: in parallel, after SCRIPT FLUSH, and again after an outage', async () => {
    const own = await startRedisServer({ persistent: true })
    const port = await freePort()
    const run = runMain({
      PORT: String(port),
      HOST: '127.0.0.1',
      REDIS_URL: own.url,
      JWT_SECRET: 'main-test-secret-0123456789abcdefghijklmnop',
    })
    const base = `http://127.0.0.1:${port}`
    const post = async (path: string, body: object) => {
      const res = await fetch(`${base}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
      return { status: res.status, body: (await res.json()) as Record<string, string> }
    }
    const refreshAll = (tokens: string[]) =>
      Promise.all(tokens.map((refreshToken) => post('/auth/refresh', { refreshToken })))
    const admin = new Redis(own.url)
    try {
      await until(() => run.stdout().includes('listening'), 'the listening line')
      const credentials = { username: 'pipelined', password: 'a long passphrase nobody guesses' }
      expect((await post('/auth/register', credentials)).status).toBe(201)
      let tokens: string[] = []
      for (let i = 0; i < 6; i++) {
        const login = await post('/auth/login', credentials)
        expect(login.status).toBe(200)
        tokens.push(login.body.refreshToken ?? '')
      }
      // Sent together, so the client batches them; each gets its own successor.
      const first = await refreshAll(tokens)
      expect(first.map((answer) => answer.status)).toEqual(tokens.map(() => 200))
      tokens = first.map((answer) => answer.body.refreshToken ?? '')
      expect(new Set(tokens).size).toBe(tokens.length)
      await admin.script('FLUSH')
      const second = await refreshAll(tokens)
      expect(second.map((answer) => answer.status)).toEqual(tokens.map(() => 200))
      tokens = second.map((answer) => answer.body.refreshToken ?? '')
      admin.disconnect()
      await own.stop()
      const down = Date.now()
      const outage = await post('/auth/refresh', { refreshToken: tokens[0] })
      expect(outage.status).toBe(503)
      expect(Date.now() - down).toBeLessThan(2000)
      await own.start()
      let after = await post('/auth/refresh', { refreshToken: tokens[0] })
      const deadline = Date.now() + 10_000
      while (after.status === 503 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100))
        after = await post('/auth/refresh', { refreshToken: tokens[0] })
      }
      expect(after.status).toBe(200)
    } finally {
      admin.disconnect()
      run.child.kill('SIGKILL')
      await run.exited
      await own.dispose()
    }
  })

  it('exits non-zero with a clear message when Redis cannot be reached', async () => {
    const nowhere = await freePort()
    const run = runMain({ PORT: '0', REDIS_URL: `redis://:secret-pw@127.0.0.1:${nowhere}` })
    try {
      const code = await run.exited
      expect(code).not.toBe(0)
      expect(run.stderr()).toContain(
        `refresh-kit: cannot reach Redis at redis://:***@127.0.0.1:${nowhere}`,
      )
      expect(run.stderr()).not.toContain('secret-pw')
      expect(run.stdout()).not.toContain('listening')
    } finally {
      run.child.kill('SIGKILL')
    }
  })

  it('built, refuses NODE_ENV=production with COOKIE_SECURE=false: one stderr line, exit 1, never listening', async () => {
    const run = runBuilt({
      NODE_ENV: 'production',
      COOKIE_SECURE: 'false',
      JWT_SECRET: randomBytes(32).toString('base64'),
      // Nothing listens there: the refusal comes before any connection.
      REDIS_URL: `redis://127.0.0.1:${await freePort()}`,
      PORT: '0',
    })
    expect(await run.exited).toBe(1)
    expect(run.stderr()).toBe(
      'refresh-kit: invalid configuration: COOKIE_SECURE must be true when NODE_ENV=production (false sends the refresh cookie over plain HTTP), unless ALLOW_INSECURE names COOKIE_SECURE\n',
    )
    expect(run.stdout()).toBe('')
  })

  it('built, starts in production with COOKIE_SECURE=false when ALLOW_INSECURE names it, and says so', async () => {
    const port = await freePort()
    const run = runBuilt({
      NODE_ENV: 'production',
      COOKIE_SECURE: 'false',
      ALLOW_INSECURE: 'COOKIE_SECURE',
      JWT_SECRET: randomBytes(32).toString('base64'),
      REDIS_URL: redis.url,
      PORT: String(port),
      HOST: '127.0.0.1',
    })
    try {
      await until(() => run.stdout().includes('listening'), 'the listening line')
      expect(run.stdout()).toContain('ALLOW_INSECURE=COOKIE_SECURE')
      run.child.kill('SIGTERM')
      expect(await run.exited).toBe(0)
    } finally {
      run.child.kill('SIGKILL')
    }
  })

  it('exits 1 with one stderr line naming a bad variable', async () => {
    const run = runMain({ ACCESS_TOKEN_TTL: 'soon' })
    expect(await run.exited).toBe(1)
    expect(run.stderr()).toBe(
      'refresh-kit: invalid configuration: ACCESS_TOKEN_TTL must be a whole number from 1 to 3600, got "soon"\n',
    )
  })
})
