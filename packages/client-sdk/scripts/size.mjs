// Measures what an app pays for each entry of the SDK: its ESM build bundled and minified with
// axios left out (a peer the app already has), then gzipped. Run after `pnpm build`.
// Each budget holds the size reached, so a change that grows an entry fails here; the goal
// beside it is where the entry is headed.
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'

// Sizes reached with the cookie transport (restore, the in-memory handover between tabs,
// transport-aware token requests), with the fetch binding handing a URL and its init to
// fetch as they came, and with changePassword, the server's details and Retry-After on
// AuthError, the device token kept and sent at login, and the reactive-refresh rule shared by
// both bindings from one module of the core, and a csrf_rejected refresh explained (what to
// change: CORS_ORIGINS or the dev proxy's Host) instead of signing the user out, and the
// token manager's answer check, refresh call and wake-up listeners in files of their own.
// `axios: false`: the entry must not import axios at all (an app without axios installs it).
const ENTRIES = [
  { name: 'client-sdk (axios)', file: 'index.js', budget: 5382, goal: 2560, axios: true },
  { name: 'client-sdk/fetch', file: 'fetch.js', budget: 5273, goal: 2560, axios: false },
  { name: 'client-sdk/cross-tab', file: 'cross-tab.js', budget: 918, goal: 1024, axios: false },
]

async function measure(entry) {
  const result = await build({
    entryPoints: [new URL(`../dist/${entry}`, import.meta.url).pathname],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'neutral',
    external: ['axios'],
    write: false,
    metafile: true,
    logLevel: 'error',
  })
  const imports = Object.values(result.metafile.outputs).flatMap((output) => output.imports)
  return {
    bytes: gzipSync(result.outputFiles[0].contents, { level: 9 }).length,
    importsAxios: imports.some((imported) => imported.path === 'axios'),
  }
}

let over = 0
for (const { name, file, budget, goal, axios } of ENTRIES) {
  const { bytes, importsAxios } = await measure(file)
  if (importsAxios !== axios) {
    console.error(`${name} ${importsAxios ? 'imports' : 'does not import'} axios`)
    over += 1
  }
  const mark =
    bytes > budget ? 'OVER BUDGET' : bytes > goal ? 'within budget, above goal' : 'at goal'
  console.log(`${name}: ${bytes} bytes min+gz (budget ${budget}, goal ${goal}): ${mark}`)
  if (bytes > budget) over += 1
}
if (over > 0) {
  console.error(`${over} entr${over === 1 ? 'y is' : 'ies are'} over budget`)
  process.exit(1)
}
