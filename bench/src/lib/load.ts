import autocannon from 'autocannon'

/** One load scenario against the server. */
export interface LoadScenario {
  url: string
  method: 'GET' | 'POST'
  path: string
  headers?: Record<string, string>
  body?: string
  /** A fresh body for every request, e.g. a refresh token nobody has used yet. */
  nextBody?: () => string
  durationSeconds: number
  connections: number
}

/** What one measured load run saw. */
export interface LoadFigures {
  /** Mean of the per-second request counts. */
  reqPerSec: number
  p50Ms: number
  p99Ms: number
  requests: number
  non2xx: number
  /** Connection errors and timeouts. */
  errors: number
  durationSeconds: number
  /** Responses by status code. */
  statusCodes: Record<string, number>
  /** CPU microseconds per response of each process that took part, when they could be read. */
  cpuPerRequestUs: { server: number | null; redis: number | null; loadGenerator: number }
}

/** Reads a process's CPU seconds so far; `null` when it cannot. */
export type CpuReader = () => Promise<number | null>

/** What {@link runLoad} reads around the run to price each request in CPU time. */
export interface CpuReaders {
  server: CpuReader
  redis: CpuReader
}

/**
 * Runs autocannon for one scenario and keeps the figures the report needs.
 *
 * @example
 * ```ts
 * const figures = await runLoad({ url, method: 'GET', path: '/healthz', durationSeconds: 10, connections: 10 })
 * ```
 */
export async function runLoad(scenario: LoadScenario, cpu?: CpuReaders): Promise<LoadFigures> {
  const { nextBody } = scenario
  const serverBefore = (await cpu?.server()) ?? null
  const redisBefore = (await cpu?.redis()) ?? null
  const selfBefore = process.cpuUsage()
  const result = await autocannon({
    url: scenario.url,
    connections: scenario.connections,
    pipelining: 1,
    duration: scenario.durationSeconds,
    requests: [
      {
        method: scenario.method,
        path: scenario.path,
        headers: scenario.headers ?? {},
        ...(scenario.body === undefined ? {} : { body: scenario.body }),
        ...(nextBody === undefined
          ? {}
          : { setupRequest: (request: autocannon.Request) => ({ ...request, body: nextBody() }) }),
      },
    ],
  })
  const self = process.cpuUsage(selfBefore)
  const serverAfter = (await cpu?.server()) ?? null
  const redisAfter = (await cpu?.redis()) ?? null
  const responses = Math.max(1, result['1xx'] + result['2xx'] + result.non2xx)
  const perRequest = (before: number | null, after: number | null) =>
    before === null || after === null ? null : ((after - before) * 1e6) / responses
  const statusCodes: Record<string, number> = {}
  for (const [code, stats] of Object.entries(result.statusCodeStats ?? {})) {
    statusCodes[code] = stats.count ?? 0
  }
  return {
    reqPerSec: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    durationSeconds: result.duration,
    statusCodes,
    cpuPerRequestUs: {
      server: perRequest(serverBefore, serverAfter),
      redis: perRequest(redisBefore, redisAfter),
      loadGenerator: (self.user + self.system) / responses,
    },
  }
}
