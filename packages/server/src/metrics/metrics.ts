import { performance } from 'node:perf_hooks'
import type { Middleware } from 'koa'
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client'
import type {
  AuthEvents,
  LoginOutcome,
  RefreshOutcome,
  SessionEndReason,
} from '../events/auth-events.js'

/** Options of {@link createMetrics}. */
export interface MetricsOptions {
  /** Where the metrics are registered. @default a registry of its own */
  registry?: Registry
  /** Also collect prom-client's process metrics (CPU, memory, event loop, GC). @default true */
  processMetrics?: boolean
  /**
   * Buckets of `refresh_kit_http_request_duration_seconds`, in seconds.
   * @default [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]
   */
  durationBuckets?: number[]
}

/** The server's Prometheus metrics. */
export interface ServerMetrics {
  /** The prom-client registry that holds them. */
  readonly registry: Registry
  /** Counts what `events` reports; returns a function that stops counting. */
  observe(events: AuthEvents): () => void
  /** Koa middleware timing every request by method, route pattern and status. */
  httpDuration(): Middleware
  /** The Prometheus text exposition of every metric, and its content type. */
  render(): Promise<{ contentType: string; body: string }>
}

const LOGIN_OUTCOMES: readonly LoginOutcome[] = ['success', 'invalid_credentials', 'rate_limited']
const REFRESH_OUTCOMES: readonly RefreshOutcome[] = ['rotated', 'grace', 'reused', 'invalid']
const END_REASONS: readonly SessionEndReason[] = [
  'logout',
  'logout_all',
  'revoked',
  'reuse',
  'evicted',
  'expired',
]

/**
 * The metrics of the HTTP contract's "operations" section, fed by the token service's
 * events (the same events as the security log), plus request durations and, by default,
 * the Node.js process metrics. Every label value starts at 0, so a rate is defined from the
 * first scrape.
 *
 * @example
 * ```ts
 * const metrics = createMetrics()
 * metrics.observe(auth.events)
 * const app = createApp({ auth, store, metrics })
 * await startMetricsServer({ metrics, port: 9464 })
 * ```
 */
export function createMetrics(options: MetricsOptions = {}): ServerMetrics {
  const registry = options.registry ?? new Registry()
  if (!(registry instanceof Registry)) {
    throw new TypeError('createMetrics: options.registry must be a prom-client Registry')
  }
  const registers = [registry]
  const logins = new Counter({
    name: 'refresh_kit_logins_total',
    help: 'Login attempts, by outcome.',
    labelNames: ['outcome'] as const,
    registers,
  })
  const refreshes = new Counter({
    name: 'refresh_kit_refreshes_total',
    help: 'Refresh attempts, by outcome: rotated, grace (the previous token within the grace window), reused (the session was revoked), invalid.',
    labelNames: ['outcome'] as const,
    registers,
  })
  const sessionsEnded = new Counter({
    name: 'refresh_kit_sessions_ended_total',
    help: 'Sessions ended, by reason.',
    labelNames: ['reason'] as const,
    registers,
  })
  const storeErrors = new Counter({
    name: 'refresh_kit_store_errors_total',
    help: 'Token store calls that failed or did not answer in time.',
    registers,
  })
  const duration = new Histogram({
    name: 'refresh_kit_http_request_duration_seconds',
    help: 'HTTP request durations, by method, route pattern and status.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: options.durationBuckets ?? [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers,
  })
  for (const outcome of LOGIN_OUTCOMES) logins.inc({ outcome }, 0)
  for (const outcome of REFRESH_OUTCOMES) refreshes.inc({ outcome }, 0)
  for (const reason of END_REASONS) sessionsEnded.inc({ reason }, 0)
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry })

  return {
    registry,
    observe(events) {
      const off = [
        events.on('login', ({ outcome }) => logins.inc({ outcome })),
        events.on('refresh', ({ outcome }) => refreshes.inc({ outcome })),
        events.on('sessionEnded', ({ reason, count }) => sessionsEnded.inc({ reason }, count)),
        events.on('storeError', () => storeErrors.inc()),
      ]
      return () => {
        for (const stop of off) stop()
      }
    },
    httpDuration() {
      return async (ctx, next) => {
        const started = performance.now()
        try {
          await next()
        } finally {
          // The route pattern, never the raw path: ids in paths would make a series each.
          const matched = (ctx as { _matchedRoute?: unknown })._matchedRoute
          duration.observe(
            {
              method: ctx.method,
              route: typeof matched === 'string' ? matched : 'unmatched',
              status: String(ctx.status),
            },
            (performance.now() - started) / 1000,
          )
        }
      }
    },
    async render() {
      return { contentType: registry.contentType, body: await registry.metrics() }
    },
  }
}
