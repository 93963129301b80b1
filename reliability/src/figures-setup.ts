import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { FIGURES_FILE, FIGURES_LOG } from './figures.js'
import { runMode } from './mode.js'

/**
 * Vitest global setup: starts each run with no figures, and at the end gathers the figures
 * every part recorded into `test-results/figures.json`.
 */
export default function setup(): () => void {
  rmSync(FIGURES_LOG, { force: true })
  rmSync(FIGURES_FILE, { force: true })
  const startedAt = new Date().toISOString()
  return () => {
    const lines = existsSync(FIGURES_LOG)
      ? readFileSync(FIGURES_LOG, 'utf8')
          .split('\n')
          .filter((line) => line !== '')
      : []
    const figures: unknown[] = lines.map((line) => JSON.parse(line))
    const mode = runMode().full ? 'full' : 'short'
    writeFileSync(
      FIGURES_FILE,
      `${JSON.stringify({ mode, startedAt, finishedAt: new Date().toISOString(), figures }, null, 2)}\n`,
    )
  }
}
