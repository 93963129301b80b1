// Writes openapi.json (the committed copy of GET /openapi.json), or with --check fails
// when the committed copy differs from what the schemas generate. Its `info.version` is this
// package's version, read here so that a release's version bump shows as drift.
import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { createOpenApiDocument } from '@refresh-kit/shared/schemas'

const file = fileURLToPath(new URL('../openapi.json', import.meta.url))
const { version } = JSON.parse(
  readFileSync(fileURLToPath(new URL('../package.json', import.meta.url)), 'utf8'),
) as { version: string }
const generated = `${JSON.stringify(createOpenApiDocument({ version }), null, 2)}\n`

if (process.argv.includes('--check')) {
  let committed = ''
  try {
    committed = readFileSync(file, 'utf8')
  } catch {
    committed = ''
  }
  if (committed !== generated) {
    process.stderr.write(
      'packages/server/openapi.json is out of date with the schemas in packages/shared: run `pnpm --filter @refresh-kit/server openapi` and commit it\n',
    )
    process.exit(1)
  }
  process.stdout.write('packages/server/openapi.json is up to date\n')
} else {
  writeFileSync(file, generated)
  process.stdout.write(`wrote ${file}\n`)
}
