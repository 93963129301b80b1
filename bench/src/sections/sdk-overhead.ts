import type { BenchClient, ClientFactory } from '../clients/types.js'
import type { LocalApi } from '../lib/local-api.js'
import { median, nowMs } from '../lib/stats.js'

/** One client's figures in the overhead run. */
export interface OverheadRow {
  client: string
  requests: number
  totalMs: number
  /** Mean time of one request, in microseconds. */
  perRequestUs: number
  /** `totalMs` divided by raw axios's. */
  ratioToRaw: number
  /** The median over rounds of this client's round time divided by raw axios's in the same round. */
  medianRoundRatio: number
}

/** What {@link measureOverhead} found. */
export interface OverheadResult {
  /** The client every ratio is taken against. */
  floor: string
  requestsPerClient: number
  rounds: number
  rows: OverheadRow[]
}

const ROUNDS = 30
const WARMUP_REQUESTS = 300

async function sequential(client: BenchClient, count: number): Promise<void> {
  for (let i = 0; i < count; i++) await client.me()
}

/**
 * Sends `requests` sequential `GET /auth/me` with a valid token through each client. The
 * requests run in rounds, the clients' order rotating each round, so drift in machine load
 * falls on every client alike; each client warms up first. The first factory is the floor
 * the ratios are taken against.
 *
 * @example
 * ```ts
 * await measureOverhead(api, [rawAxios, refreshKit], 3000)
 * ```
 */
export async function measureOverhead(
  api: LocalApi,
  factories: readonly ClientFactory[],
  requests: number,
): Promise<OverheadResult> {
  const clients = await Promise.all(factories.map((factory) => factory.create(api.baseURL)))
  try {
    for (const client of clients) await sequential(client, WARMUP_REQUESTS)
    const totals = clients.map(() => 0)
    const roundTimes: number[][] = clients.map(() => [])
    const perRound = Math.ceil(requests / ROUNDS)
    for (let round = 0; round < ROUNDS; round++) {
      for (let k = 0; k < clients.length; k++) {
        const index = (round + k) % clients.length
        const client = clients[index]
        if (client === undefined) continue
        const count = Math.min(perRound, requests - round * perRound)
        const started = nowMs()
        await sequential(client, count)
        const elapsed = nowMs() - started
        totals[index] = (totals[index] ?? 0) + elapsed
        roundTimes[index]?.push(elapsed)
      }
    }
    const floor = totals[0] ?? Number.NaN
    return {
      floor: factories[0]?.name ?? 'none',
      requestsPerClient: requests,
      rounds: ROUNDS,
      rows: factories.map((factory, index) => {
        const totalMs = totals[index] ?? Number.NaN
        return {
          client: factory.name,
          requests,
          totalMs,
          perRequestUs: (totalMs / requests) * 1000,
          ratioToRaw: totalMs / floor,
          medianRoundRatio: median(
            (roundTimes[index] ?? []).map(
              (ms, round) => ms / (roundTimes[0]?.[round] ?? Number.NaN),
            ),
          ),
        }
      }),
    }
  } finally {
    for (const client of clients) client.close()
  }
}
