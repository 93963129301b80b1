import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The bench package's folder. */
export const BENCH_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')

/** The token server's built entry, as `node packages/server/dist/main.js` runs it. */
export const SERVER_MAIN = join(
  BENCH_ROOT,
  'node_modules',
  '@refresh-kit',
  'server',
  'dist',
  'main.js',
)

/** The hand-written Koa app users would otherwise run (koa-jwt, GET/DEL/SET rotation), run under tsx. */
export const BASELINE_ENTRY = join(BENCH_ROOT, 'src', 'baselines', 'koa-baseline.ts')
