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
  /** Where the JSON of the run is written (`BENCH_OUTPUT`). @default 'results/latest.json' */
  outputPath: string
}

const SCENARIOS: readonly ScenarioId[] = ['me', 'refresh', 'login']

/** Every section of the run, in the order they run. */
export const SECTIONS = ['size', 'overhead', 'burst', 'memory', 'server', 'revocation'] as const
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
  }
}

/** Whether a section is part of this run. */
export function runs(config: BenchConfig, section: SectionName): boolean {
  return config.only === null || config.only.has(section)
}
