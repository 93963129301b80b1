import type { ClientFactory } from '../clients/types.js'
import type { LocalApi } from '../lib/local-api.js'
import { median, nowMs } from '../lib/stats.js'

/** One client and burst size in the burst run. */
export interface BurstRow {
  client: string
  concurrent: number
  repeats: number
  /** Requests that resolved, the lowest over the repeats. */
  succeededMin: number
  /** The same for the bursts with a valid token: anything below `concurrent` is a harness fault. */
  validSucceededMin: number
  /** Refresh calls the local API received per stale burst, over the repeats. */
  refreshCalls: number[]
  staleMedianMs: number
  validMedianMs: number
  /** `staleMedianMs / validMedianMs`. */
  ratioToValid: number
  /** The first rejection seen, when a request failed. */
  firstError: string | null
}

/** What {@link measureBurst} found. */
export interface BurstResult {
  rows: BurstRow[]
}

interface Run {
  ms: number
  succeeded: number
  refreshCalls: number
  firstError: string | null
}

async function burst(
  api: LocalApi,
  factory: ClientFactory,
  size: number,
  stale: boolean,
): Promise<Run> {
  const client = await factory.create(api.baseURL)
  try {
    if (stale) api.expireAll()
    api.resetCounts()
    const started = nowMs()
    const outcomes = await Promise.allSettled(Array.from({ length: size }, () => client.me()))
    const ms = nowMs() - started
    const failed = outcomes.find((outcome) => outcome.status === 'rejected')
    return {
      ms,
      succeeded: outcomes.filter((outcome) => outcome.status === 'fulfilled').length,
      refreshCalls: api.counts().refresh,
      firstError: failed === undefined ? null : describe(failed.reason),
    }
  } finally {
    client.close()
  }
}

function describe(reason: unknown): string {
  if (reason instanceof Error) {
    const code = (reason as { code?: unknown }).code
    return typeof code === 'string'
      ? `${reason.name} ${code}: ${reason.message}`
      : `${reason.name}: ${reason.message}`
  }
  return String(reason)
}

/**
 * Fires `size` concurrent `GET /auth/me` through a freshly signed-in client whose access
 * token the server has just expired (the client still believes it valid, so the refresh is
 * reactive: every request first meets a `401 token_expired`), and the same burst with a valid
 * token. Repeats each pair, alternating, and compares medians.
 *
 * @example
 * ```ts
 * await measureBurst(api, [refreshKit], [10, 100, 1000])
 * ```
 */
export async function measureBurst(
  api: LocalApi,
  factories: readonly ClientFactory[],
  sizes: readonly number[],
): Promise<BurstResult> {
  const rows: BurstRow[] = []
  // Warm every code path (the refresh and replay included) before anything is timed.
  for (const factory of factories) {
    await burst(api, factory, 50, false)
    await burst(api, factory, 50, true)
  }
  for (const size of sizes) {
    const repeats = size >= 1000 ? 3 : 5
    for (const factory of factories) {
      const stale: Run[] = []
      const valid: Run[] = []
      for (let i = 0; i < repeats; i++) {
        valid.push(await burst(api, factory, size, false))
        stale.push(await burst(api, factory, size, true))
      }
      const staleMedianMs = median(stale.map((run) => run.ms))
      const validMedianMs = median(valid.map((run) => run.ms))
      rows.push({
        client: factory.name,
        concurrent: size,
        repeats,
        succeededMin: Math.min(...stale.map((run) => run.succeeded)),
        validSucceededMin: Math.min(...valid.map((run) => run.succeeded)),
        refreshCalls: stale.map((run) => run.refreshCalls),
        staleMedianMs,
        validMedianMs,
        ratioToValid: staleMedianMs / validMedianMs,
        firstError: stale.find((run) => run.firstError !== null)?.firstError ?? null,
      })
    }
  }
  return { rows }
}
