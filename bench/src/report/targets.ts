/** A figure the spec sets a target for, and whether this run met it. */
export interface TargetCheck {
  name: string
  /** The target as written, e.g. `>= 0.90 of baseline`. */
  target: string
  actual: number
  /** How `actual` is shown, e.g. `0.93`. */
  shown: string
  met: boolean
}

/**
 * Checks `actual` against a bound.
 *
 * @example
 * ```ts
 * checkTarget('GET /auth/me / baseline', actual, '>=', 0.9, actual.toFixed(2))
 * ```
 */
export function checkTarget(
  name: string,
  actual: number,
  comparison: '>=' | '<=' | '>' | '<',
  bound: number,
  shown: string,
): TargetCheck {
  const met =
    comparison === '>='
      ? actual >= bound
      : comparison === '<='
        ? actual <= bound
        : comparison === '>'
          ? actual > bound
          : actual < bound
  return {
    name,
    target: `${comparison} ${bound}`,
    actual,
    shown,
    met: Number.isFinite(actual) && met,
  }
}

/** `met` or `MISSED`, for a table cell. */
export function verdict(check: TargetCheck): string {
  return check.met ? 'met' : 'MISSED'
}
