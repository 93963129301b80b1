#!/usr/bin/env node
// Packs every publishable package (as `pnpm publish` would) and checks each tarball: the
// manifest rules of lib/packages.mjs, publint --strict, and are-the-types-wrong. Needs a prior
// `pnpm build`. Usage: node scripts/check-packages.mjs [tarball ...] (default: pack them all).
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import {
  attwProfile,
  freshDirectory,
  manifestProblems,
  packPackage,
  publishablePackages,
  removeDirectory,
  root,
  tarballFiles,
  tarballManifest,
} from './lib/packages.mjs'

/**
 * Checks packed tarballs and prints what is wrong with each.
 * @param {string[]} tarballs
 * @returns {boolean} whether every tarball passed
 */
export function checkTarballs(tarballs) {
  const bin = (name) => join(root, 'node_modules', '.bin', name)
  let ok = true
  for (const tarball of tarballs) {
    const manifest = tarballManifest(tarball)
    const label = `${manifest.name}@${manifest.version}`
    const problems = manifestProblems(manifest, tarballFiles(tarball))
    for (const problem of problems) console.error(`${label}: ${problem}`)
    const publint = spawnSync(bin('publint'), ['--strict', tarball], { stdio: 'inherit' })
    const profile = attwProfile(manifest)
    const attw = spawnSync(
      bin('attw'),
      [tarball, '--profile', profile, '--no-definitely-typed', '--format', 'table-flipped'],
      { stdio: 'inherit' },
    )
    const passed = problems.length === 0 && publint.status === 0 && attw.status === 0
    console.log(
      `${passed ? 'ok  ' : 'FAIL'} ${label}: manifest ${problems.length === 0 ? 'ok' : `${problems.length} problem(s)`}, publint ${publint.status === 0 ? 'ok' : 'failed'}, attw (${profile}) ${attw.status === 0 ? 'ok' : 'failed'}`,
    )
    ok &&= passed
  }
  return ok
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const given = process.argv.slice(2)
  const packDir = given.length === 0 ? freshDirectory('check') : undefined
  try {
    const tarballs =
      packDir === undefined ? given : publishablePackages().map((pkg) => packPackage(pkg, packDir))
    process.exitCode = checkTarballs(tarballs) ? 0 : 1
  } finally {
    if (packDir !== undefined) removeDirectory(packDir)
  }
}
