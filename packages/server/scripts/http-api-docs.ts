// Writes docs/reference/http-api.md from openapi.json (the committed copy of GET
// /openapi.json), or with --check fails when the page differs from what it would write.
//
//   pnpm --filter @refresh-kit/server run openapi    # the document, then this page
//   pnpm check:docs                                  # fail on drift (CI)
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { renderHttpApiPage } from './lib/http-api-page.js'

const source = fileURLToPath(new URL('../openapi.json', import.meta.url))
const page = fileURLToPath(new URL('../../../docs/reference/http-api.md', import.meta.url))
const generated = renderHttpApiPage(JSON.parse(readFileSync(source, 'utf8')))

if (process.argv.includes('--check')) {
  let committed = ''
  try {
    committed = readFileSync(page, 'utf8')
  } catch {
    committed = ''
  }
  if (committed !== generated) {
    process.stderr.write(
      'docs/reference/http-api.md is out of date with packages/server/openapi.json: run `pnpm --filter @refresh-kit/server run openapi` and commit it\n',
    )
    process.exit(1)
  }
  process.stdout.write('docs/reference/http-api.md is up to date\n')
} else {
  mkdirSync(dirname(page), { recursive: true })
  writeFileSync(page, generated)
  process.stdout.write(`wrote ${page}\n`)
}
