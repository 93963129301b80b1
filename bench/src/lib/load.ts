import autocannon from 'autocannon'
import { type CommandStats, commandStatsDelta } from './commandstats.js'

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
  /** Median and 99th percentile of the 2xx responses' latency, from each response's own time (µs). */
  latencyUs: { p50: number; p99: number }
  requests: number
  non2xx: number
  /** Connection errors and timeouts. */
  errors: number
  durationSeconds: number
  /** Responses by status code. */
  statusCodes: Record<string, number>
  /** CPU microseconds per response of each process that took part, when they could be read. */
  cpuPerRequestUs: { server: number | null; redis: number | null; loadGenerator: number }
  /** What Redis ran during the measured run, by `INFO commandstats`, when it was read. */
  commandStats: CommandStats | null
}

/** The `q` quantile (nearest rank) of `values`; NaN when empty. Sorts in place. */
export function percentile(values: number[], q: number): number {
  if (values.length === 0) return Number.NaN
  values.sort((a, b) => a - b)
  return values[Math.min(values.length - 1, Math.ceil(q * values.length) - 1)] ?? Number.NaN
}

/** Reads a process's CPU seconds so far; `null` when it cannot. */
export type CpuReader = () => Promise<number | null>

/** What {@link runLoad} reads around the run to price each request in CPU time. */
export interface CpuReaders {
  server: CpuReader
  redis: CpuReader
  /** `INFO commandstats` of the Redis the server uses. */
  commands?: () => Promise<CommandStats>
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
  const commandsBefore = (await cpu?.commands?.()) ?? null
  const selfBefore = process.cpuUsage()
  const latencies: number[] = []
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
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
              : {
                  setupRequest: (request: autocannon.Request) => ({ ...request, body: nextBody() }),
                }),
          },
        ],
      },
      (error, done) => (error ? reject(error) : resolve(done)),
    )
    // autocannon's own percentiles are whole milliseconds; each response's time is not.
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime)
    })
  })
  const self = process.cpuUsage(selfBefore)
  const serverAfter = (await cpu?.server()) ?? null
  const redisAfter = (await cpu?.redis()) ?? null
  const commandsAfter = (await cpu?.commands?.()) ?? null
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
    latencyUs: { p50: percentile(latencies, 0.5) * 1000, p99: percentile(latencies, 0.99) * 1000 },
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
    commandStats:
      commandsBefore === null || commandsAfter === null
        ? null
        : commandStatsDelta(commandsBefore, commandsAfter),
  }
}
