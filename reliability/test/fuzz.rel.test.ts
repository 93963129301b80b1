import { ROUTES } from '@refresh-kit/shared'
import { useTestRedis } from '@refresh-kit/testing'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PASSWORD } from '../src/accounts.js'
import { recordFigure } from '../src/figures.js'
import { fuzzRequest } from '../src/fuzz-requests.js'
import { httpRequest, keepAliveAgent } from '../src/http.js'
import { type InProcessServer, startInProcessServer } from '../src/in-process.js'
import { runMode } from '../src/mode.js'
import { headerProblems, responseProblems } from '../src/response-schema.js'

const mode = runMode()
const redis = useTestRedis('fuzz')
let server: InProcessServer
let seeds: { accessToken: string; refreshToken: string }
// A user whose tokens the generator never sees: the seed's own session may be ended by a
// generated logout or logout-all, which then refuses its access token, as it should.
let witness: { accessToken: string }

beforeAll(async () => {
  // The production store: fuzzed tokens and bodies reach the Lua scripts too.
  server = await startInProcessServer({ redis: { url: redis.url, keyPrefix: redis.keyPrefix } })
  await httpRequest(`${server.url}${ROUTES.register}`, {
    method: 'POST',
    json: { username: 'fuzz-seed', password: PASSWORD },
  })
  const login = await httpRequest(`${server.url}${ROUTES.login}`, {
    method: 'POST',
    json: { username: 'fuzz-seed', password: PASSWORD },
  })
  if (login.status !== 200) throw new Error(`the seed login answered ${login.status} ${login.text}`)
  seeds = login.body as { accessToken: string; refreshToken: string }
  await httpRequest(`${server.url}${ROUTES.register}`, {
    method: 'POST',
    json: { username: 'fuzz-witness', password: PASSWORD },
  })
  const witnessLogin = await httpRequest(`${server.url}${ROUTES.login}`, {
    method: 'POST',
    json: { username: 'fuzz-witness', password: PASSWORD },
  })
  if (witnessLogin.status !== 200) {
    throw new Error(`the witness login answered ${witnessLogin.status} ${witnessLogin.text}`)
  }
  witness = witnessLogin.body as { accessToken: string }
})

afterAll(async () => {
  await server?.close()
})

describe('fuzzing the HTTP API', () => {
  it('answers every generated request inside the contract, never with a 5xx', async () => {
    const agent = keepAliveAgent(1)
    const unhandled: unknown[] = []
    const onUnhandled = (reason: unknown) => unhandled.push(reason)
    process.on('unhandledRejection', onUnhandled)
    const statuses = new Map<number, number>()
    const outOfContract: string[] = []
    let sent = 0
    let fiveHundreds = 0
    let noAnswer = 0
    try {
      await fc.assert(
        fc.asyncProperty(fuzzRequest(seeds), async (request) => {
          sent += 1
          const res = await httpRequest(`${server.url}${request.path}`, {
            method: request.method,
            headers: request.headers,
            ...(request.body === undefined ? {} : { raw: request.body }),
            agent,
            timeoutMs: 15_000,
          })
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1)
          if (res.status === 0) noAnswer += 1
          if (res.status >= 500) fiveHundreds += 1
          const problems =
            res.status === 0
              ? [`no answer: ${res.error}`]
              : [
                  ...responseProblems(request.method, request.path, res.status, res.body, res.text),
                  ...headerProblems(request.method, request.path, res.status, res.headers),
                ]
          if (problems.length > 0) {
            outOfContract.push(
              `${request.method} ${request.path} [${request.label}] -> ${res.status}: ${problems.join('; ')}`,
            )
          }
          // Asserting here lets fast-check shrink a failure to its smallest request.
          expect(res.status).toBeGreaterThan(0)
          expect(res.status).toBeLessThan(500)
          expect(problems).toEqual([])
        }),
        { numRuns: mode.fuzzRequests, endOnFailure: !mode.full },
      )
    } finally {
      process.off('unhandledRejection', onUnhandled)
      agent.destroy()
      recordFigure({
        name: 'fuzz: requests sent',
        value: sent,
        unit: 'requests',
        goal: '>= 10000 (full run)',
      })
      recordFigure({ name: 'fuzz: 5xx answers', value: fiveHundreds, unit: '', goal: '0' })
      recordFigure({
        name: 'fuzz: crashes (no answer, app errors, unhandled rejections)',
        value: noAnswer + server.appErrors.length + unhandled.length,
        unit: '',
        goal: '0',
      })
      recordFigure({
        name: 'fuzz: answers outside the error or success schema',
        value: outOfContract.length,
        unit: '',
        goal: '0',
        detail: [...statuses.entries()]
          .sort(([a], [b]) => a - b)
          .map(([status, count]) => `${status}: ${count}`)
          .join(', '),
      })
      if (outOfContract.length > 0) console.log(outOfContract.slice(0, 20).join('\n'))
    }
    expect(sent).toBeGreaterThanOrEqual(mode.fuzzRequests)
    expect(server.appErrors).toEqual([])
    expect(unhandled).toEqual([])
    // Still serving: the generated traffic broke nothing for a real user.
    const after = await httpRequest(`${server.url}${ROUTES.me}`, {
      headers: { authorization: `Bearer ${witness.accessToken}` },
    })
    expect(after.status).toBe(200)
  })

  it('refuses headers over Node’s 16 KiB limit with 431 and keeps serving', async () => {
    const res = await httpRequest(`${server.url}${ROUTES.me}`, {
      headers: { authorization: `Bearer ${seeds.accessToken}`, 'x-padding': 'p'.repeat(20_000) },
    })
    // Node's HTTP parser answers this before the app runs, so the body is not the app's JSON.
    expect(res.status).toBe(431)
    const after = await httpRequest(`${server.url}${ROUTES.me}`, {
      headers: { authorization: `Bearer ${witness.accessToken}` },
    })
    expect(after.status).toBe(200)
  })
})
