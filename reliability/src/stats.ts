/**
 * The median of some numbers; `NaN` for none.
 *
 * @example
 * ```ts
 * median([3, 1, 2]) // 2
 * ```
 */
export function median(values: readonly number[]): number {
  return quantile(values, 0.5)
}

/**
 * The `q` quantile (0 to 1) of some numbers, interpolated between neighbours; `NaN` for none.
 *
 * @example
 * ```ts
 * quantile([1, 2, 3, 4], 0.99)
 * ```
 */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const position = (sorted.length - 1) * q
  const low = Math.floor(position)
  const high = Math.ceil(position)
  const lowValue = sorted[low] ?? Number.NaN
  const highValue = sorted[high] ?? Number.NaN
  return lowValue + (highValue - lowValue) * (position - low)
}

/**
 * The largest of some numbers; 0 for none.
 *
 * @example
 * ```ts
 * maximum([1, 5, 2]) // 5
 * ```
 */
export function maximum(values: readonly number[]): number {
  return values.reduce((max, value) => Math.max(max, value), 0)
}

/**
 * Resolves after `ms` milliseconds. Only for holding real load for a real duration; tests that
 * decide expiry move an injected clock instead.
 *
 * @example
 * ```ts
 * await sleep(5_000) // Redis stays down meanwhile
 * ```
 */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
