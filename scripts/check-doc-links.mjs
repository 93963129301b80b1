#!/usr/bin/env node
// Fails when a README or CONTRIBUTING.md links a page of the docs site (by its absolute URL,
// as npm pages must) that the site does not have. VitePress checks the links inside the site;
// these come from outside it, so nothing else would notice a renamed page.
//
//   node scripts/check-doc-links.mjs     # run by pnpm check:docs
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { API_PACKAGES, DOCS_URL, WRITTEN_ELSEWHERE } from '../docs/.vitepress/site.mjs'

const root = fileURLToPath(new URL('..', import.meta.url))

/** Whether the site has a page at `path` (relative to the site's root, without anchor). */
export function hasPage(path) {
  const page = path.replace(/\/$/, '/index').replace(/\.html$/, '') || 'index'
  if (existsSync(join(root, 'docs', `${page}.md`))) return true
  // The API reference is written at build time: its package's entry page is known in advance.
  const api = /^reference\/api\/([^/]+)\/index$/.exec(page)
  if (api !== null) return API_PACKAGES.some((pkg) => pkg.dir === api[1])
  return WRITTEN_ELSEWHERE.includes(`/${page}`)
}

const listed = spawnSync(
  'git',
  ['ls-files', '--cached', '--others', '--exclude-standard', '--', '*.md'],
  {
    cwd: root,
    encoding: 'utf8',
  },
)
if (listed.status !== 0) throw new Error(`git ls-files failed: ${listed.stderr}`)
const files = listed.stdout
  .split('\n')
  .filter((path) => path.endsWith('README.md') || path === 'CONTRIBUTING.md')

const escaped = DOCS_URL.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')
const link = new RegExp(`${escaped}([^\\s)>#?"'\`]*)`, 'g')
let count = 0
const dead = []
for (const file of files) {
  const lines = readFileSync(join(root, file), 'utf8').split('\n')
  lines.forEach((text, at) => {
    for (const match of text.matchAll(link)) {
      count++
      if (!hasPage(match[1] ?? '')) dead.push(`${file}:${at + 1}: no docs page at ${match[0]}`)
    }
  })
}
for (const line of dead) process.stderr.write(`${line}\n`)
process.stdout.write(
  `${count} links to the docs site in ${files.length} files (READMEs, CONTRIBUTING.md); ${dead.length} dead\n`,
)
process.exit(dead.length === 0 ? 0 : 1)
