import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { useTestRedis } from '@refresh-kit/testing'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import {
  createProject,
  type Project,
  packed,
  packedPackages,
  run,
  type StartedProcess,
  startProcess,
} from './lib/projects.js'

const redis = useTestRedis('consumer')
const jwtSecret = randomBytes(32).toString('hex')
const LISTENING =
  /refresh-kit token server listening on http:\/\/127\.0\.0\.1:(\d+) \(store: redis\)/

/** Every entry point of every packed package, as a user imports it. */
function entryPoints(): string[] {
  return packedPackages().flatMap((pkg) =>
    Object.keys(pkg.manifest.exports ?? {})
      .filter((subpath) => subpath !== './package.json' && !subpath.includes('*'))
      .map((subpath) => (subpath === '.' ? pkg.name : `${pkg.name}/${subpath.slice(2)}`)),
  )
}

/**
 * The peer dependencies of every packed package, optional ones included: the quick start uses
 * the axios entry, whose peer is optional only for users of the fetch entry.
 */
function peerDependencies(): Record<string, string> {
  const names = new Set(packedPackages().map((pkg) => pkg.name))
  return Object.fromEntries(
    packedPackages().flatMap((pkg) =>
      Object.entries(pkg.manifest.peerDependencies ?? {}).filter(([name]) => !names.has(name)),
    ),
  )
}

let project: Project
let server: StartedProcess & { match: RegExpMatchArray }
let apiUrl: string

const serverEnv = () => ({
  PORT: '0',
  HOST: '127.0.0.1',
  REDIS_URL: redis.url,
  REDIS_KEY_PREFIX: redis.keyPrefix,
  JWT_SECRET: jwtSecret,
  LOG_LEVEL: 'warn',
})

beforeAll(async () => {
  project = await createProject('node', {
    packages: packedPackages(),
    registry: { ...peerDependencies(), koa: '^3.0.0', '@koa/router': '^15.0.0' },
    fixtures: 'node',
  })
  server = await startProcess('npx', ['refresh-kit-server'], {
    cwd: project.dir,
    env: serverEnv(),
    ready: LISTENING,
    group: true,
  })
  apiUrl = `http://127.0.0.1:${server.match[1]}`
})

afterAll(async () => {
  await server?.stop()
  project?.remove()
})

describe('the packages installed with npm from their tarballs', () => {
  it('resolve the server’s dependency on @refresh-kit/shared to the local tarball, one copy', async () => {
    const shared = packed('@refresh-kit/shared')
    const installed = JSON.parse(
      readFileSync(join(project.dir, 'node_modules/@refresh-kit/shared/package.json'), 'utf8'),
    )
    expect(installed.version).toBe(shared.version)
    expect(
      existsSync(join(project.dir, 'node_modules/@refresh-kit/server/node_modules/@refresh-kit')),
    ).toBe(false)
    const ls = await run('npm', ['ls', '--all', '--json', '@refresh-kit/shared'], {
      cwd: project.dir,
    })
    expect(ls.code).toBe(0)
    const tree = JSON.parse(ls.stdout)
    const viaServer = tree.dependencies['@refresh-kit/server'].dependencies['@refresh-kit/shared']
    expect(viaServer.version).toBe(shared.version)
    expect(tree.dependencies['@refresh-kit/shared'].resolved).toBe(`file:${shared.tarball}`)
  })

  it('load every entry point with import() from an ES module', async () => {
    const entries = entryPoints()
    const result = await run('node', ['entries.mjs'], {
      cwd: project.dir,
      env: { ENTRIES: JSON.stringify(entries) },
    })
    expect(result.stderr).toBe('')
    const counts = JSON.parse(result.stdout) as Record<string, number>
    expect(Object.keys(counts)).toEqual(entries)
    for (const entry of entries) expect(counts[entry], entry).toBeGreaterThan(0)
  })

  it('load every entry point with require() from a CommonJS module', async () => {
    const entries = entryPoints()
    const result = await run('node', ['entries.cjs'], {
      cwd: project.dir,
      env: { ENTRIES: JSON.stringify(entries) },
    })
    expect(result.code, result.stderr).toBe(0)
    const counts = JSON.parse(result.stdout) as Record<string, number>
    expect(Object.keys(counts)).toEqual(entries)
    for (const entry of entries) expect(counts[entry], entry).toBeGreaterThan(0)
  })
})

describe('npx refresh-kit-server', () => {
  it('starts the token server on the real Redis, printing the line dist/main.js prints', async () => {
    expect(server.output()).toMatch(LISTENING)
    const health = await fetch(`${apiUrl}/healthz`)
    expect(health.status).toBe(200)
    expect(await health.json()).toEqual({ status: 'ok' })
    const ready = await fetch(`${apiUrl}/readyz`)
    expect(ready.status).toBe(200)
  })

  it('stops on an invalid variable with the same one line and exit code as node dist/main.js', async () => {
    const env = { ...serverEnv(), PORT: 'seventy' }
    const outcome = async (command: string, args: string[]) => {
      const { code, stdout, stderr } = await run(command, args, { cwd: project.dir, env })
      return { code, stdout, stderr }
    }
    const direct = await outcome('node', ['node_modules/@refresh-kit/server/dist/main.js'])
    expect(direct.code).toBe(1)
    expect(direct.stderr).toMatch(/^refresh-kit: invalid configuration: .*PORT/)
    expect(direct.stderr.trim().split('\n')).toHaveLength(1)
    expect(await outcome('npx', ['refresh-kit-server'])).toEqual(direct)
    // The README's command, in a project that has the package installed.
    expect(await outcome('npx', ['@refresh-kit/server'])).toEqual(direct)
  })

  it('shuts down gracefully on SIGTERM: the installed bin exits 0 and stops listening', async () => {
    // What a process manager runs: the bin npm linked (and made executable) for the project.
    const bin = await startProcess(join(project.dir, 'node_modules/.bin/refresh-kit-server'), [], {
      cwd: project.dir,
      env: serverEnv(),
      ready: LISTENING,
    })
    const url = `http://127.0.0.1:${bin.match[1]}`
    expect((await fetch(`${url}/healthz`)).status).toBe(200)
    expect(await bin.stop()).toEqual({ code: 0, signal: null })
    await expect(fetch(`${url}/healthz`)).rejects.toThrow()
  })

  it('stops gracefully on Ctrl-C in the terminal, npx and server alike', async () => {
    const viaNpx = await startProcess('npx', ['refresh-kit-server'], {
      cwd: project.dir,
      env: { ...serverEnv(), LOG_LEVEL: 'info' },
      ready: LISTENING,
      group: true,
    })
    const url = `http://127.0.0.1:${viaNpx.match[1]}`
    expect((await fetch(`${url}/healthz`)).status).toBe(200)
    // npm ends itself with the signal once its child has gone, as a shell reports Ctrl-C.
    expect(await viaNpx.interrupt()).toEqual({ code: null, signal: 'SIGINT' })
    await vi.waitFor(
      () => expect(fetch(`${url}/healthz`, { headers: { connection: 'close' } })).rejects.toThrow(),
      { timeout: 15_000, interval: 250 },
    )
    // One JSON log line; pino orders its fields as it likes, so each is looked for on its own.
    const shutdown = viaNpx
      .output()
      .split('\n')
      .find((line) => line.includes('"msg":"shutting down"'))
    expect(shutdown).toContain('"signal":"SIGINT"')
  })
})

describe('the README quick start of the client SDK', () => {
  const expectQuickStart = (stdout: string, username: string) => {
    const seen = JSON.parse(stdout)
    expect(seen.me).toEqual({ id: expect.any(String), username, sessionId: expect.any(String) })
    expect(seen.tokenIsStored).toBe(true)
    expect(seen.rotated).toBe(true)
    expect(seen.meAfterRefresh).toEqual(seen.me)
    expect(seen.events).toEqual(['refresh:start', 'refresh:success'])
    // The tokens are gone; the device token stays, so the next login is a known device's.
    expect(seen.storedAfterLogout).toEqual(['refresh-kit.tokens.device'])
    expect(seen.refreshAfterLogout).toEqual({
      status: 401,
      body: { error: 'invalid_refresh_token', message: expect.any(String) },
    })
  }

  it('runs as an ES module: login, a request, a refresh, logout', async () => {
    const result = await run('node', ['quickstart.mjs'], {
      cwd: project.dir,
      env: { API_URL: apiUrl, QUICKSTART_USERNAME: 'ada-esm' },
    })
    expect(result.code, result.stderr).toBe(0)
    expectQuickStart(result.stdout, 'ada-esm')
  })

  it('runs as a CommonJS module: login, a request, a refresh, logout', async () => {
    const result = await run('node', ['quickstart.cjs'], {
      cwd: project.dir,
      env: { API_URL: apiUrl, QUICKSTART_USERNAME: 'ada-cjs' },
    })
    expect(result.code, result.stderr).toBe(0)
    expectQuickStart(result.stdout, 'ada-cjs')
  })
})

describe('a Koa app of its own using requireAuth from the installed server package', () => {
  let app: StartedProcess & { match: RegExpMatchArray }
  let appUrl: string

  beforeAll(async () => {
    app = await startProcess('node', ['koa-app.mjs'], {
      cwd: project.dir,
      env: { PORT: '0', JWT_SECRET: jwtSecret },
      ready: /orders app listening on port (\d+)/,
    })
    appUrl = `http://127.0.0.1:${app.match[1]}`
  })
  afterAll(async () => {
    await app?.stop()
  })

  const login = async (username: string) => {
    const credentials = { username, password: 'correct horse battery' }
    const post = (path: string) =>
      fetch(`${apiUrl}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(credentials),
      })
    expect((await post('/auth/register')).status).toBe(201)
    const res = await post('/auth/login')
    expect(res.status).toBe(200)
    return (await res.json()) as { accessToken: string }
  }

  it('serves the route to a bearer of an access token from the token server', async () => {
    const { accessToken } = await login('grace-koa')
    const me = (await (
      await fetch(`${apiUrl}/auth/me`, { headers: { authorization: `Bearer ${accessToken}` } })
    ).json()) as { id: string }
    const res = await fetch(`${appUrl}/orders`, {
      headers: { authorization: `Bearer ${accessToken}` },
    })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ orders: [], for: me.id })
  })

  it('answers 401 missing_token with a Bearer challenge when no token is sent', async () => {
    const res = await fetch(`${appUrl}/orders`)
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm="refresh-kit"/)
    expect(await res.json()).toEqual({ error: 'missing_token', message: expect.any(String) })
  })

  it('answers 401 invalid_token to a token whose signature does not verify', async () => {
    const { accessToken } = await login('mallory-koa')
    const [header, payload] = accessToken.split('.')
    const forged = `${header}.${payload}.${randomBytes(32).toString('base64url')}`
    const res = await fetch(`${appUrl}/orders`, { headers: { authorization: `Bearer ${forged}` } })
    expect(res.status).toBe(401)
    expect(await res.json()).toEqual({ error: 'invalid_token', message: expect.any(String) })
  })
})
