#!/usr/bin/env node
/**
 * Parses every `.lua` file under `src/` as Lua 5.1, the Lua of Redis, and exits 1 naming the
 * file, line and column of each one that does not parse: a script with a syntax error fails
 * the build instead of the first login that runs it. With `--out <dir>`, and only when every
 * file parses, copies them to the same place under `<dir>` (`src/store/scripts/rotate.lua`
 * to `dist/store/scripts/rotate.lua`), where the compiled store reads them.
 *
 *   node scripts/check-lua.mjs [--out dist]
 */
import { copyFileSync, mkdirSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import luaparse from 'luaparse'

const root = fileURLToPath(new URL('..', import.meta.url))
const source = join(root, 'src')
const at = process.argv.indexOf('--out')
const out = at === -1 ? null : process.argv[at + 1]
if (at !== -1 && (out === undefined || out.startsWith('--'))) {
  console.error('check-lua: --out needs a directory')
  process.exit(2)
}

const files = readdirSync(source, { recursive: true, withFileTypes: true })
  .filter((entry) => entry.isFile() && entry.name.endsWith('.lua'))
  .map((entry) => join(entry.parentPath, entry.name))
  .sort()

let broken = 0
for (const file of files) {
  try {
    luaparse.parse(readFileSync(file, 'utf8'), { luaVersion: '5.1', comments: false })
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error
    broken += 1
    // luaparse puts "[line:column] " before its message and the position on the error.
    const { line, column } = /** @type {SyntaxError & { line: number, column: number }} */ (error)
    const message = error.message.replace(/^\[\d+:\d+\] /, '')
    console.error(`${relative(process.cwd(), file)}:${line}:${column + 1}: ${message}`)
  }
}
if (broken > 0) {
  console.error(`check-lua: ${broken} of ${files.length} Lua files do not parse as Lua 5.1`)
  process.exit(1)
}
if (out !== null) {
  for (const file of files) {
    const target = join(root, out, relative(source, file))
    mkdirSync(dirname(target), { recursive: true })
    copyFileSync(file, target)
  }
}
console.log(`check-lua: ${files.length} Lua files parse${out === null ? '' : `, copied to ${out}`}`)
