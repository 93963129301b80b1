/** One table of the printed report: a title, a header row and rows of cells. */
export interface Table {
  title: string
  header: readonly string[]
  rows: ReadonlyArray<readonly string[]>
  /** Lines printed under the table: what was measured and how. */
  notes?: readonly string[]
}

const NUMERIC = /^[-+<]?[\d.,]+(\s?[a-zA-Z%/×]*)?$/

/**
 * Renders a table as aligned plain text, numbers right-aligned.
 *
 * @example
 * ```ts
 * renderTable({ title: 'Size', header: ['package', 'bytes'], rows: [['a', '1,024']] })
 * ```
 */
export function renderTable(table: Table): string {
  const widths = table.header.map((cell, column) =>
    Math.max(cell.length, ...table.rows.map((row) => (row[column] ?? '').length)),
  )
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => {
        const width = widths[column] ?? cell.length
        return column > 0 && NUMERIC.test(cell) ? cell.padStart(width) : cell.padEnd(width)
      })
      .join('  ')
      .trimEnd()
  const rule = widths.map((width) => '-'.repeat(width)).join('  ')
  const lines = [`## ${table.title}`, line(table.header), rule, ...table.rows.map(line)]
  for (const note of table.notes ?? []) lines.push(`   ${note}`)
  return lines.join('\n')
}

/** `12345.6` → `12,346`; fixed decimals below 100. */
export function formatNumber(value: number, decimals = 0): string {
  if (!Number.isFinite(value)) return 'n/a'
  return value.toLocaleString('en-US', {
    minimumFractionDigits: decimals,
    maximumFractionDigits: decimals,
  })
}

/** A ratio as `0.93`. */
export function formatRatio(value: number): string {
  return Number.isFinite(value) ? value.toFixed(2) : 'n/a'
}
