/** One line of a plot: its name and its points. */
export interface Series {
  name: string
  points: ReadonlyArray<readonly [x: number, y: number]>
}

/** A line plot, drawn as a standalone SVG file. */
export interface Plot {
  title: string
  xLabel: string
  yLabel: string
  series: readonly Series[]
  /** Logarithmic x axis (sessions from 10k to 1M). @default false */
  logX?: boolean
}

const WIDTH = 640
const HEIGHT = 360
const MARGIN = { left: 72, right: 180, top: 40, bottom: 52 }
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b']

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

/** Round steps (1, 2, 5 × 10^n) from 0 (or the lowest value) to just past `max`. */
function ticks(min: number, max: number, count = 5): number[] {
  const span = max - min || Math.abs(max) || 1
  const raw = span / count
  const magnitude = 10 ** Math.floor(Math.log10(raw))
  const step = ([1, 2, 5, 10].find((m) => m * magnitude >= raw) ?? 10) * magnitude
  const values: number[] = []
  for (let value = Math.floor(min / step) * step; value <= max + step * 0.5; value += step) {
    values.push(Number(value.toPrecision(12)))
  }
  return values
}

function label(value: number): string {
  if (Math.abs(value) >= 1e6) return `${Number((value / 1e6).toPrecision(3))}M`
  if (Math.abs(value) >= 1e3) return `${Number((value / 1e3).toPrecision(3))}k`
  return String(Number(value.toPrecision(3)))
}

/**
 * Renders a line plot as SVG text: axes with round ticks, one colored line with markers per
 * series, a legend on the right. The y axis starts at 0, so a flat line looks flat.
 *
 * @example
 * ```ts
 * renderSvg({ title: 'p50', xLabel: 'sessions', yLabel: 'µs', series: [{ name: 'p50', points: [[1e4, 900]] }] })
 * ```
 */
export function renderSvg(plot: Plot): string {
  const points = plot.series.flatMap((series) => series.points)
  const xs = points.map(([x]) => x)
  const ys = points.map(([, y]) => y).filter(Number.isFinite)
  const logX = plot.logX ?? false
  const fx = (x: number) => (logX ? Math.log10(Math.max(x, 1e-9)) : x)
  const xMin = xs.length === 0 ? 0 : Math.min(...xs.map(fx))
  const xMax = xs.length === 0 ? 1 : Math.max(...xs.map(fx))
  const yTicks = ticks(0, ys.length === 0 ? 1 : Math.max(...ys))
  const yMax = yTicks[yTicks.length - 1] ?? 1
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom
  const px = (x: number) =>
    MARGIN.left + (xMax === xMin ? plotWidth / 2 : ((fx(x) - xMin) / (xMax - xMin)) * plotWidth)
  const py = (y: number) => MARGIN.top + plotHeight - (y / yMax) * plotHeight
  const xTicks = logX
    ? [...new Set(xs)].sort((a, b) => a - b)
    : ticks(xMin, xMax).filter((x) => x >= xMin && x <= xMax)
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<title>${escapeXml(plot.title)}</title>`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#fff"/>`,
    `<text x="${WIDTH / 2}" y="22" text-anchor="middle" font-size="14" font-weight="bold">${escapeXml(plot.title)}</text>`,
  ]
  for (const y of yTicks) {
    parts.push(
      `<line x1="${MARGIN.left}" x2="${MARGIN.left + plotWidth}" y1="${py(y)}" y2="${py(y)}" stroke="#e5e5e5"/>`,
      `<text x="${MARGIN.left - 6}" y="${py(y) + 4}" text-anchor="end">${label(y)}</text>`,
    )
  }
  for (const x of xTicks) {
    parts.push(
      `<line x1="${px(x)}" x2="${px(x)}" y1="${MARGIN.top + plotHeight}" y2="${MARGIN.top + plotHeight + 4}" stroke="#333"/>`,
      `<text x="${px(x)}" y="${MARGIN.top + plotHeight + 18}" text-anchor="middle">${label(x)}</text>`,
    )
  }
  parts.push(
    `<line x1="${MARGIN.left}" x2="${MARGIN.left}" y1="${MARGIN.top}" y2="${MARGIN.top + plotHeight}" stroke="#333"/>`,
    `<line x1="${MARGIN.left}" x2="${MARGIN.left + plotWidth}" y1="${MARGIN.top + plotHeight}" y2="${MARGIN.top + plotHeight}" stroke="#333"/>`,
    `<text x="${MARGIN.left + plotWidth / 2}" y="${HEIGHT - 12}" text-anchor="middle">${escapeXml(plot.xLabel)}${logX ? ' (log scale)' : ''}</text>`,
    `<text transform="translate(16 ${MARGIN.top + plotHeight / 2}) rotate(-90)" text-anchor="middle">${escapeXml(plot.yLabel)}</text>`,
  )
  plot.series.forEach((series, index) => {
    const color = COLORS[index % COLORS.length] ?? '#000'
    const drawn = series.points.filter(([, y]) => Number.isFinite(y))
    if (drawn.length > 1) {
      const path = drawn.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' ')
      parts.push(`<polyline points="${path}" fill="none" stroke="${color}" stroke-width="2"/>`)
    }
    for (const [x, y] of drawn) {
      parts.push(
        `<circle cx="${px(x).toFixed(1)}" cy="${py(y).toFixed(1)}" r="3.5" fill="${color}"><title>${escapeXml(`${series.name}: ${label(x)} → ${label(y)}`)}</title></circle>`,
      )
    }
    const legendY = MARGIN.top + 8 + index * 20
    const legendX = MARGIN.left + plotWidth + 16
    parts.push(
      `<line x1="${legendX}" x2="${legendX + 20}" y1="${legendY}" y2="${legendY}" stroke="${color}" stroke-width="2"/>`,
      `<text x="${legendX + 26}" y="${legendY + 4}">${escapeXml(series.name)}</text>`,
    )
  })
  parts.push('</svg>')
  return `${parts.join('\n')}\n`
}
