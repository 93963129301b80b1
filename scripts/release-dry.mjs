#!/usr/bin/env node
// `pnpm release:dry`: everything a release does short of publishing. Builds every publishable
// package from clean, packs each with `pnpm pack` (publishConfig applied, `workspace:` ranges
// replaced by versions) into release/ (or the directory given as the first argument), checks
// every tarball (manifest rules, publint, are-the-types-wrong) and lists what would be
// published. Nothing is sent to a registry.
import { execFileSync } from 'node:child_process'
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { checkTarballs } from './check-packages.mjs'
import { packPackage, publishablePackages, root, tarballFiles } from './lib/packages.mjs'

const out = resolve(process.argv[2] ?? join(root, 'release'))
const packages = publishablePackages()
if (packages.length === 0) {
  console.error('release:dry: no publishable package under packages/')
  process.exit(1)
}

console.log(`Building ${packages.map((pkg) => pkg.name).join(', ')} from clean`)
for (const pkg of packages) rmSync(join(pkg.dir, 'dist'), { recursive: true, force: true })
execFileSync(
  'pnpm',
  [
    'exec',
    'turbo',
    'run',
    'build',
    '--force',
    '--output-logs=errors-only',
    ...packages.map((pkg) => `--filter=${pkg.name}`),
  ],
  { cwd: root, stdio: 'inherit' },
)

rmSync(out, { recursive: true, force: true })
mkdirSync(out, { recursive: true })
const tarballs = packages.map((pkg) => packPackage(pkg, out))

const ok = checkTarballs(tarballs)
console.log(`\nWould publish (${relative(process.cwd(), out) || '.'}):`)
for (const tarball of tarballs) {
  const kib = (statSync(tarball).size / 1024).toFixed(1)
  console.log(`  ${relative(out, tarball)}  ${kib} KiB, ${tarballFiles(tarball).length} files`)
}
const stray = readdirSync(out).filter((name) => !tarballs.some((path) => path.endsWith(name)))
if (stray.length > 0) console.log(`  (also in the directory: ${stray.join(', ')})`)
if (!ok) {
  console.error('release:dry: a package failed its checks (see above); nothing would be published')
  process.exitCode = 1
} else {
  console.log(
    'Nothing was published. `pnpm changeset version` then `pnpm publish -r` release them.',
  )
}
