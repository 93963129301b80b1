// Measures what an app pays for each entry of the SDK: its ESM build bundled and minified with
// axios left out (a peer the app already has), then gzipped. Run after `pnpm build`.
// Each budget holds the size reached, so a change that grows an entry fails here; the goal
// beside it is where the entry is headed.
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'

const ENTRIES = [
  { name: 'client-sdk (axios)', file: 'index.js', budget: 4300, goal: 2560 },
  { name: 'client-sdk/fetch', file: 'fetch.js', budget: 4000, goal: 2560 },
  { name: 'client-sdk/cross-tab', file: 'cross-tab.js', budget: 850, goal: 1024 },
]

async function minGzipBytes(entry) {
  const result = await build({
    entryPoints: [new URL(`../dist/${entry}`, import.meta.url).pathname],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'neutral',
    external: ['axios'],
    write: false,
    logLevel: 'error',
  })
  return gzipSync(result.outputFiles[0].contents, { level: 9 }).length
}

let over = 0
for (const { name, file, budget, goal } of ENTRIES) {
  const bytes = await minGzipBytes(file)
  const mark =
    bytes > budget ? 'OVER BUDGET' : bytes > goal ? 'within budget, above goal' : 'at goal'
  console.log(`${name}: ${bytes} bytes min+gz (budget ${budget}, goal ${goal}): ${mark}`)
  if (bytes > budget) over += 1
}
if (over > 0) {
  console.error(`${over} entr${over === 1 ? 'y is' : 'ies are'} over budget`)
  process.exit(1)
}
