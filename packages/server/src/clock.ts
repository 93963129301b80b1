/**
 * Milliseconds since the epoch; injected wherever expiry is decided, so tests move a clock
 * instead of sleeping.
 *
 * @example
 * ```ts
 * const clock: Clock = Date.now
 * ```
 */
export type Clock = () => number
