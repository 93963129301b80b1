#!/usr/bin/env node
// Type-checks every TypeScript and JavaScript code block of the docs site and the READMEs, so
// no example drifts from the packages it shows. Each ```ts, ```tsx, ```js (and their aliases)
// block becomes a module of its own in a scratch project inside the docs package (docs/.snippets,
// not committed), where `@refresh-kit/*` resolves to the built packages as an npm user gets them,
// and one `tsc` run checks them all. Errors are reported at the Markdown file and line.
//
//   pnpm check:snippets                        # needs a prior `pnpm build`
//   node scripts/check-snippets.mjs FILE.md    # only these files
//
// Blocks in any other language (sh, json, text, mermaid, ...) are not code to compile and are
// only counted. A fence without a language fails: say what the block is.
import { spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const scratch = join(root, 'docs', '.snippets')
const prelude = join(root, 'scripts', 'snippets', 'prelude.d.ts')

/** The languages compiled, with the extension their module gets. */
const COMPILED = new Map([
  ['ts', 'ts'],
  ['typescript', 'ts'],
  ['tsx', 'tsx'],
  ['js', 'mjs'],
  ['javascript', 'mjs'],
  ['mjs', 'mjs'],
  ['jsx', 'jsx'],
])

/** Markdown files whose blocks are checked: every README, CONTRIBUTING.md and the docs site. */
function markdownFiles() {
  const listed = spawnSync(
    'git',
    ['ls-files', '--cached', '--others', '--exclude-standard', '--', '*.md'],
    { cwd: root, encoding: 'utf8' },
  )
  if (listed.status !== 0) throw new Error(`git ls-files failed: ${listed.stderr}`)
  return listed.stdout
    .split('\n')
    .filter(
      (path) =>
        path.endsWith('README.md') || path === 'CONTRIBUTING.md' || path.startsWith('docs/'),
    )
    .sort()
}

/**
 * The fenced blocks of one Markdown text.
 * @param {string} text
 * @returns {{ lang: string, line: number, code: string }[]} line: 1-based, of the first code line
 */
export function fencedBlocks(text) {
  const blocks = []
  const lines = text.split('\n')
  for (let at = 0; at < lines.length; at++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*([^\s`{[]*)/.exec(lines[at] ?? '')
    if (open === null) continue
    const [, indent, fence, lang] = open
    const body = []
    let end = at + 1
    while (end < lines.length && !(lines[end] ?? '').trimStart().startsWith(fence)) {
      body.push((lines[end] ?? '').slice((indent ?? '').length))
      end++
    }
    blocks.push({ lang: (lang ?? '').toLowerCase(), line: at + 2, code: body.join('\n') })
    at = end
  }
  return blocks
}

const only = process.argv.slice(2)
const files =
  only.length > 0 ? only.map((path) => relative(root, join(process.cwd(), path))) : markdownFiles()

rmSync(scratch, { recursive: true, force: true })
mkdirSync(scratch, { recursive: true })
/** Scratch module name → where its block stands. */
const origin = new Map()
const counts = new Map()
const problems = []
for (const file of files) {
  const blocks = fencedBlocks(readFileSync(join(root, file), 'utf8'))
  for (const block of blocks) {
    counts.set(block.lang || '(none)', (counts.get(block.lang || '(none)') ?? 0) + 1)
    if (block.lang === '') {
      problems.push(
        `${file}:${block.line - 1}: a code block without a language: name it (ts, sh, text, ...)`,
      )
      continue
    }
    const extension = COMPILED.get(block.lang)
    if (extension === undefined) continue
    const name = `${file.replace(/[^A-Za-z0-9]+/g, '_')}_L${block.line}.${extension}`
    // A block without import or export is still a module, so its names and awaits are its own.
    const isModule = /^\s*(import|export)\s/m.test(block.code)
    const code = isModule || extension === 'mjs' ? block.code : `${block.code}\nexport {}`
    writeFileSync(join(scratch, name), `${code}\n`)
    origin.set(name, { file, line: block.line })
  }
}

// A block known to be wrong goes in with the others: if tsc does not report it, the check
// checked nothing (a broken setup, no tsc run) and must not pass.
const CANARY = '_canary.ts'
writeFileSync(join(scratch, CANARY), "export const canary: number = 'not a number'\n")

writeFileSync(
  join(scratch, 'tsconfig.json'),
  `${JSON.stringify(
    {
      compilerOptions: {
        strict: true,
        noUncheckedIndexedAccess: true,
        exactOptionalPropertyTypes: true,
        verbatimModuleSyntax: true,
        // An example may show a value it does not go on to use.
        noUnusedLocals: false,
        noUnusedParameters: false,
        target: 'ES2023',
        module: 'ESNext',
        moduleResolution: 'Bundler',
        jsx: 'react-jsx',
        lib: ['ES2023', 'DOM', 'DOM.Iterable'],
        types: ['node'],
        allowJs: true,
        checkJs: true,
        noEmit: true,
        skipLibCheck: true,
      },
      include: ['*.ts', '*.tsx', '*.mjs', '*.jsx', relative(scratch, prelude)],
    },
    null,
    2,
  )}\n`,
)

const started = Date.now()
const compiled = spawnSync(
  join(root, 'node_modules', '.bin', 'tsc'),
  ['-p', join(scratch, 'tsconfig.json'), '--pretty', 'false'],
  { cwd: scratch, encoding: 'utf8' },
)
let canaryCaught = false
for (const line of (compiled.stdout ?? '').split('\n')) {
  const error = /^(.+?)\((\d+),(\d+)\): (.*)$/.exec(line)
  if (error === null) {
    if (line.trim() !== '' && !line.startsWith(' ')) problems.push(line)
    else if (line.trim() !== '') problems[problems.length - 1] += `\n${line}`
    continue
  }
  const [, path = '', row = '0', column, message] = error
  const name = relative(scratch, join(scratch, path))
  if (name === CANARY) {
    canaryCaught = true
    continue
  }
  const from = origin.get(name)
  problems.push(
    from === undefined ? line : `${from.file}:${from.line + Number(row) - 1}:${column}: ${message}`,
  )
}
if (!canaryCaught) {
  problems.push(
    `tsc did not report the known-bad ${CANARY}: nothing was checked (${compiled.error ?? `exit ${compiled.status}`})`,
  )
} else if (compiled.status !== 0 && problems.length === 0 && compiled.status !== 2) {
  problems.push(`tsc exited ${compiled.status}`)
}

const summary = [...counts].map(([lang, count]) => `${lang} ${count}`).join(', ')
for (const problem of problems) process.stderr.write(`${problem}\n`)
process.stdout.write(
  `${origin.size} code blocks type-checked in ${((Date.now() - started) / 1000).toFixed(1)} s, ` +
    `from ${files.length} Markdown files (blocks by language: ${summary}); ` +
    `${problems.length} problem${problems.length === 1 ? '' : 's'}\n`,
)
process.exit(problems.length === 0 ? 0 : 1)
