/**
 * How long the long parts run. The short run (the default, what CI runs) keeps each long part
 * to a few seconds; the full run (`pnpm test:reliability --full`, which sets
 * `RELIABILITY_FULL=1`) runs them at the sizes the figures in the README come from.
 * `RELIABILITY_SUSTAINED_MS` overrides the sustained-load duration, for a soak.
 */
export interface RunMode {
  /** Whether this is the full run. */
  readonly full: boolean
  /** How long Redis stays down in the outage test, in ms. */
  readonly outageMs: number
  /** How long the sustained-load test runs after warm-up, in ms. */
  readonly sustainedMs: number
  /** How long the warm-up before the sustained-load measurement lasts, in ms. */
  readonly warmupMs: number
  /** Fuzzed requests sent through the app. */
  readonly fuzzRequests: number
  /** Timed logins per kind (unknown user, wrong password) in the enumeration test. */
  readonly timingSamples: number
  /** Concurrent requests driven through the faulty token server. */
  readonly faultRequests: number
  /** How long the restart test keeps load on the server around the restart, in ms. */
  readonly restartLoadMs: number
}

/**
 * The mode of this run, read once from `RELIABILITY_FULL`.
 *
 * @example
 * ```ts
 * const mode = runMode()
 * await sleep(mode.outageMs)
 * ```
 */
export function runMode(env: NodeJS.ProcessEnv = process.env): RunMode {
  const full = env.RELIABILITY_FULL === '1'
  const base: RunMode = full
    ? {
        full,
        outageMs: 5_000,
        sustainedMs: 30_000,
        warmupMs: 10_000,
        fuzzRequests: 10_000,
        timingSamples: 50,
        faultRequests: 200,
        restartLoadMs: 6_000,
      }
    : {
        full,
        outageMs: 3_000,
        sustainedMs: 5_000,
        warmupMs: 3_000,
        fuzzRequests: 2_000,
        timingSamples: 15,
        faultRequests: 200,
        restartLoadMs: 3_000,
      }
  // A soak: RELIABILITY_SUSTAINED_MS=300000 holds the sustained load for five minutes.
  const soak = env.RELIABILITY_SUSTAINED_MS
  if (soak === undefined || soak === '') return base
  const sustainedMs = Number(soak)
  if (!Number.isSafeInteger(sustainedMs) || sustainedMs < 1_000) {
    throw new TypeError('RELIABILITY_SUSTAINED_MS must be a whole number of milliseconds >= 1000')
  }
  return { ...base, sustainedMs }
}
