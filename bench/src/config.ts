import type { ScenarioId } from './sections/server-throughput.js'

/** How one run of the benchmarks is shaped, read once from the environment. */
export interface BenchConfig {
  /** Seconds each server scenario is measured for (`BENCH_DURATION`). @default 10 */
  durationSeconds: number
  /** Seconds of load before each measurement, discarded (`BENCH_WARMUP`). @default 3 */
  warmupSeconds: number
  /** autocannon connections per scenario (`BENCH_CONNECTIONS`). @default 10 */
  connections: number
  /** Sequential requests per client in the SDK overhead run. @default 3000 */
  overheadRequests: number
  /** Sessions written for the store memory figure (`BENCH_SESSIONS`). @default 100000 */
  memorySessions: number
  /** Burst sizes, concurrent requests. @default [10, 100, 1000] */
  burstSizes: readonly number[]
  /** Sections to run, from `BENCH_ONLY` (comma-separated); every section when unset. */
  only: ReadonlySet<string> | null
  /** Server scenarios besides the baseline (`BENCH_SERVER_SCENARIOS`, comma-separated); all when unset. */
  serverScenarios: ReadonlySet<ScenarioId> | null
  /** A server entry to run instead of dist/main.js (`BENCH_SERVER_ENTRY`), to try a change. */
  serverEntry: string | null
  /** When set (`BENCH_CPU_PROF=dir`), the server runs with `node --cpu-prof` into that dir. */
  cpuProfileDir: string | null
  /** Where the JSON of the run is written (`BENCH_OUTPUT`); the plots go beside it. @default 'results/latest.json' */
  outputPath: string
  /** Live-session counts of the scale curve (`BENCH_SCALE_SESSIONS`). @default [10_000, 100_000, 1_000_000] */
  scaleSessions: readonly number[]
  /** Sessions per user of the per-user curve (`BENCH_USER_SESSIONS`). @default [1, 10, 25, 50] */
  userSessions: readonly number[]
  /** The server's `MAX_SESSIONS_PER_USER` in the per-user curve (`BENCH_MAX_SESSIONS_PER_USER`). @default 50 */
  maxSessionsPerUser: number
  /** Sequential logins timed at each point of the per-user curve (`BENCH_LOGINS`). @default 5 */
  logins: number
  /** Seconds each point of a curve is measured (`BENCH_CURVE_DURATION`). @default 5 */
  curveDurationSeconds: number
  /** Seconds of discarded load before each point of a curve (`BENCH_CURVE_WARMUP`). @default 2 */
  curveWarmupSeconds: number
}

const SCENARIOS: readonly ScenarioId[] = ['me', 'koa-jwt', 'refresh', 'naive-refresh', 'login']

/** Every section of the run, in the order they run. */
export const SECTIONS = [
  'size',
  'overhead',
  'burst',
  'memory',
  'server',
  'revocation',
  'scale',
  'per-user',
  'processes',
] as const
export type SectionName = (typeof SECTIONS)[number]

function positive(name: string, fallback: number, env: NodeJS.ProcessEnv): number {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (!Number.isFinite(value) || value <= 0) {
    throw new TypeError(`${name} must be a positive number, got ${JSON.stringify(raw)}`)
  }
  return value
}

function positiveList(
  name: string,
  fallback: readonly number[],
  env: NodeJS.ProcessEnv,
): readonly number[] {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  const values = raw.split(',').map((item) => Number(item.trim()))
  if (values.some((value) => !Number.isSafeInteger(value) || value <= 0)) {
    throw new TypeError(
      `${name} must be comma-separated positive integers, got ${JSON.stringify(raw)}`,
    )
  }
  return values
}

/**
 * Reads the run's shape from the environment; a bad value stops the run naming the variable.
 *
 * @example
 * ```ts
 * const config = readConfig(process.env) // BENCH_DURATION=3 for a quick run
 * ```
 */
export function readConfig(env: NodeJS.ProcessEnv): BenchConfig {
  const only = env.BENCH_ONLY
  const selected =
    only === undefined || only === '' ? null : new Set(only.split(',').map((name) => name.trim()))
  if (selected !== null) {
    for (const name of selected) {
      if (!(SECTIONS as readonly string[]).includes(name)) {
        throw new TypeError(
          `BENCH_ONLY names ${JSON.stringify(name)}; sections are ${SECTIONS.join(', ')}`,
        )
      }
    }
  }
  const scenarioList = env.BENCH_SERVER_SCENARIOS
  const serverScenarios =
    scenarioList === undefined || scenarioList === ''
      ? null
      : new Set(scenarioList.split(',').map((name) => name.trim()))
  for (const name of serverScenarios ?? []) {
    if (!(SCENARIOS as readonly string[]).includes(name)) {
      throw new TypeError(
        `BENCH_SERVER_SCENARIOS names ${JSON.stringify(name)}; scenarios are ${SCENARIOS.join(', ')}`,
      )
    }
  }
  return {
    durationSeconds: positive('BENCH_DURATION', 10, env),
    warmupSeconds: positive('BENCH_WARMUP', 3, env),
    connections: Math.round(positive('BENCH_CONNECTIONS', 10, env)),
    overheadRequests: 3000,
    memorySessions: Math.round(positive('BENCH_SESSIONS', 100_000, env)),
    burstSizes: [10, 100, 1000],
    only: selected,
    serverScenarios: serverScenarios as ReadonlySet<ScenarioId> | null,
    serverEntry:
      env.BENCH_SERVER_ENTRY === undefined || env.BENCH_SERVER_ENTRY === ''
        ? null
        : env.BENCH_SERVER_ENTRY,
    cpuProfileDir:
      env.BENCH_CPU_PROF === undefined || env.BENCH_CPU_PROF === '' ? null : env.BENCH_CPU_PROF,
    outputPath: env.BENCH_OUTPUT ?? 'results/latest.json',
    scaleSessions: positiveList('BENCH_SCALE_SESSIONS', [10_000, 100_000, 1_000_000], env),
    userSessions: positiveList('BENCH_USER_SESSIONS', [1, 10, 25, 50], env),
    maxSessionsPerUser: Math.round(positive('BENCH_MAX_SESSIONS_PER_USER', 50, env)),
    logins: Math.round(positive('BENCH_LOGINS', 5, env)),
    curveDurationSeconds: positive('BENCH_CURVE_DURATION', 5, env),
    curveWarmupSeconds: positive('BENCH_CURVE_WARMUP', 2, env),
  }
}

/** Whether a section is part of this run. */
export function runs(config: BenchConfig, section: SectionName): boolean {
  return config.only === null || config.only.has(section)
}
