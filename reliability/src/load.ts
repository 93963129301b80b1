/** One operation a load loop performed. */
export interface Sample {
  /** What kind of operation, e.g. `me` or `refresh`. */
  kind: string
  /** The HTTP status, or 0 when no response came. */
  status: number
  /** When it started, in ms of `performance.now()`. */
  startedAt: number
  /** How long it took, in ms. */
  ms: number
  /** The error code of the body, when there was one. */
  error?: string
}

/** Options of {@link runLoad}. */
export interface LoadOptions {
  /** Concurrent loops. @default 8 */
  concurrency?: number
  /** Stops starting new operations once this signal aborts. Required unless `durationMs` is set. */
  signal?: AbortSignal
  /** Stops starting new operations after this many ms. @default until `signal` aborts */
  durationMs?: number
  /** Stops after this many operations in all. @default no limit */
  maxOperations?: number
}

/**
 * Runs `operation` in `concurrency` loops, each starting its next operation when the previous
 * one ends, until the duration passes or the signal aborts; operations in flight then finish.
 * An operation that throws is a bug in the test and fails the whole run.
 *
 * @example
 * ```ts
 * const samples = await runLoad((worker) => meOnce(worker), { concurrency: 16, durationMs: 5_000 })
 * ```
 */
export async function runLoad(
  operation: (worker: number, index: number) => Promise<Sample>,
  options: LoadOptions,
): Promise<Sample[]> {
  const concurrency = options.concurrency ?? 8
  if (options.signal === undefined && options.durationMs === undefined) {
    throw new TypeError('runLoad: options.signal or options.durationMs is required')
  }
  const deadline =
    options.durationMs === undefined
      ? Number.POSITIVE_INFINITY
      : performance.now() + options.durationMs
  const maxOperations = options.maxOperations ?? Number.POSITIVE_INFINITY
  const samples: Sample[] = []
  let started = 0
  const loop = async (worker: number) => {
    while (
      options.signal?.aborted !== true &&
      performance.now() < deadline &&
      started < maxOperations
    ) {
      const index = started++
      samples.push(await operation(worker, index))
    }
  }
  await Promise.all(Array.from({ length: concurrency }, (_, worker) => loop(worker)))
  return samples
}

/**
 * The error code of a JSON error body, if it is one.
 *
 * @example
 * ```ts
 * errorCodeOf({ error: 'token_expired', message: '…' }) // 'token_expired'
 * ```
 */
export function errorCodeOf(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined
  const error = (body as { error?: unknown }).error
  return typeof error === 'string' ? error : undefined
}
