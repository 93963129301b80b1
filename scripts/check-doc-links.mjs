#!/usr/bin/env node
// Fails when a README or CONTRIBUTING.md links a page of the docs site (by its absolute URL,
// as npm pages must) that the site does not have, or when a README or a docs page links a
// file of the repository (by its URL, as the site must) that the checkout does not have.
// VitePress checks the links between its own pages; nothing else would notice these break.
//
//   node scripts/check-doc-links.mjs     # run by pnpm check:docs
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  API_PACKAGES,
  DOCS_URL,
  REPOSITORY_URL,
  WRITTEN_ELSEWHERE,
} from '../docs/.vitepress/site.mjs'

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
const markdown = listed.stdout.split('\n')
const readmes = markdown.filter((path) => path.endsWith('README.md') || path === 'CONTRIBUTING.md')

/** Every match of `pattern` in `files`, with where it stands. */
function* linksIn(files, pattern) {
  for (const file of files) {
    const lines = readFileSync(join(root, file), 'utf8').split('\n')
    for (const [at, text] of lines.entries()) {
      for (const match of text.matchAll(pattern)) yield { file, line: at + 1, match }
    }
  }
}
/** `text` as a regular expression that matches exactly it. */
const literal = (text) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')
const dead = []

let pages = 0
for (const { file, line, match } of linksIn(
  readmes,
  new RegExp(`${literal(DOCS_URL)}([^\\s)>#?"'\`]*)`, 'g'),
)) {
  pages++
  if (!hasPage(match[1] ?? '')) dead.push(`${file}:${line}: no docs page at ${match[0]}`)
}

let files = 0
for (const { file, line, match } of linksIn(
  [...readmes, ...markdown.filter((path) => path.startsWith('docs/'))],
  new RegExp(`${literal(REPOSITORY_URL)}/(?:blob|tree)/main/([^\\s)>#?"'\`]*)`, 'g'),
)) {
  files++
  if (!existsSync(join(root, match[1] ?? '')))
    dead.push(`${file}:${line}: no such file in the repository: ${match[0]}`)
}

for (const line of dead) process.stderr.write(`${line}\n`)
process.stdout.write(
  `${pages} links to docs pages from ${readmes.length} files (READMEs, CONTRIBUTING.md), ` +
    `${files} links to repository files; ${dead.length} dead\n`,
)
process.exit(dead.length === 0 ? 0 : 1)
