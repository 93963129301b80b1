import { appendFileSync, mkdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** One measured figure of the suite. */
export interface Figure {
  /** What was measured, e.g. `me success during outage`. */
  name: string
  /** The number. */
  value: number
  /** Its unit, e.g. `%`, `ms`, `requests`. */
  unit: string
  /** What it should be, in words, e.g. `100 %`. */
  goal: string
  /** Extra context, e.g. `412/412`. @default none */
  detail?: string
}

const resultsDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'test-results')

/** Where each figure is appended as one JSON line while the suite runs. */
export const FIGURES_LOG = join(resultsDir, 'figures.jsonl')

/** Where {@link FIGURES_LOG} is gathered at the end of the run. */
export const FIGURES_FILE = join(resultsDir, 'figures.json')

function format(figure: Figure): string {
  const value = Number.isInteger(figure.value) ? String(figure.value) : figure.value.toFixed(1)
  const unit = figure.unit === '' ? '' : figure.unit === '%' ? ' %' : ` ${figure.unit}`
  const detail = figure.detail === undefined ? '' : ` (${figure.detail})`
  return `[figure] ${figure.name}: ${value}${unit}${detail}; goal ${figure.goal}`
}

/**
 * Prints a figure and keeps it for `test-results/figures.json`. Record before asserting, so a
 * failing run still reports what it measured.
 *
 * @example
 * ```ts
 * recordFigure({ name: 'me success during outage', value: 100, unit: '%', goal: '100 %', detail: '412/412' })
 * ```
 */
export function recordFigure(figure: Figure): void {
  console.log(format(figure))
  mkdirSync(dirname(FIGURES_LOG), { recursive: true })
  appendFileSync(FIGURES_LOG, `${JSON.stringify({ ...figure, at: new Date().toISOString() })}\n`)
}

/**
 * A percentage with one decimal, 100 for an empty set (nothing failed).
 *
 * @example
 * ```ts
 * percent(411, 412) // 99.75...
 * ```
 */
export function percent(part: number, whole: number): number {
  return whole === 0 ? 100 : (part / whole) * 100
}
