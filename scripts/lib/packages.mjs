// The publishable packages of the workspace, and what packing and checking them takes. Used by
// `pnpm release:dry`, `pnpm lint:packages` and the consumer test, so a package added under
// packages/ without `"private": true` is packed, checked and installed by all three.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** The repository root. */
export const root = new URL('../..', import.meta.url).pathname.replace(/\/$/, '')

/**
 * Every package under packages/ that is not private, sorted so that a package comes after the
 * workspace packages it depends on (pnpm packs each on its own; the order only matters to
 * readers of the output).
 * @returns {{ dir: string, name: string, version: string, manifest: Record<string, any> }[]}
 */
export function publishablePackages() {
  const found = readdirSync(join(root, 'packages'))
    .map((name) => join(root, 'packages', name))
    .filter((dir) => existsSync(join(dir, 'package.json')))
    .map((dir) => {
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
      return { dir, name: manifest.name, version: manifest.version, manifest }
    })
    .filter((pkg) => pkg.manifest.private !== true)
  const names = new Set(found.map((pkg) => pkg.name))
  const internalDeps = (pkg) =>
    Object.keys({ ...pkg.manifest.dependencies, ...pkg.manifest.peerDependencies }).filter((name) =>
      names.has(name),
    )
  const sorted = []
  const visit = (pkg, seen = new Set()) => {
    if (sorted.includes(pkg) || seen.has(pkg.name)) return
    seen.add(pkg.name)
    for (const dep of internalDeps(pkg)) {
      const target = found.find((other) => other.name === dep)
      if (target !== undefined) visit(target, seen)
    }
    sorted.push(pkg)
  }
  for (const pkg of found.sort((a, b) => a.name.localeCompare(b.name))) visit(pkg)
  return sorted
}

/**
 * Packs one package with `pnpm pack`, which applies `publishConfig` and turns `workspace:`
 * ranges into the versions they point at, exactly as `pnpm publish` would.
 * @returns {string} the tarball's path
 */
export function packPackage(pkg, destination) {
  const out = execFileSync('pnpm', ['pack', '--pack-destination', destination, '--json'], {
    cwd: pkg.dir,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const result = JSON.parse(out.slice(out.indexOf('{')))
  return result.filename
}

/** The file paths in a tarball, without the leading `package/`. */
export function tarballFiles(tarball) {
  return execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => line.replace(/^package\//, ''))
}

/** The package.json inside a tarball: what the registry and npm would see. */
export function tarballManifest(tarball) {
  return JSON.parse(
    execFileSync('tar', ['-xzOf', tarball, 'package/package.json'], { encoding: 'utf8' }),
  )
}

/** A fresh temporary directory outside the workspace. */
export function freshDirectory(label) {
  return mkdtempSync(join(tmpdir(), `refresh-kit-${label}-`))
}

/** Removes a directory made by {@link freshDirectory}. */
export function removeDirectory(dir) {
  rmSync(dir, { recursive: true, force: true })
}

const DEPENDENCY_FIELDS = [
  'dependencies',
  'peerDependencies',
  'optionalDependencies',
  'bundleDependencies',
]

/** Condition objects of an exports map, at every depth. */
function conditionObjects(exportsField, at = 'exports') {
  if (exportsField === null || typeof exportsField !== 'object') return []
  const own = Object.keys(exportsField).some((key) => key.startsWith('.'))
    ? []
    : [{ at, conditions: exportsField }]
  return own.concat(
    Object.entries(exportsField).flatMap(([key, value]) =>
      conditionObjects(value, `${at}[${JSON.stringify(key)}]`),
    ),
  )
}

/** Every file path an exports map points at. */
function exportTargets(exportsField) {
  if (typeof exportsField === 'string') return [exportsField]
  if (exportsField === null || typeof exportsField !== 'object') return []
  return Object.values(exportsField).flatMap(exportTargets)
}

/**
 * What a packed package must have before it is published, beyond what publint and attw check:
 * real version ranges, an exports map with the types first, and the fields and files a user
 * reads (README, LICENSE, CHANGELOG). Returns one line per problem; none means it is fit to publish.
 * @param {Record<string, any>} manifest the package.json inside the tarball
 * @param {string[]} files the paths inside the tarball
 * @returns {string[]}
 */
export function manifestProblems(manifest, files) {
  const problems = []
  for (const field of DEPENDENCY_FIELDS) {
    for (const [name, range] of Object.entries(manifest[field] ?? {})) {
      if (typeof range === 'string' && /^(workspace|link|file|portal):/.test(range)) {
        problems.push(`${field}.${name} is "${range}": not a version range a registry can resolve`)
      }
    }
  }
  if (manifest.private === true) problems.push('"private": true')
  if (manifest.license !== 'MIT') problems.push(`license is ${manifest.license}, not MIT`)
  if (manifest.exports === undefined) problems.push('no "exports" map')
  for (const { at, conditions } of conditionObjects(manifest.exports)) {
    const keys = Object.keys(conditions)
    if (keys.includes('types') && keys[0] !== 'types') {
      problems.push(`${at}: "types" is not the first condition (${keys.join(', ')})`)
    }
    if (keys.some((key) => key.startsWith('@refresh-kit/'))) {
      problems.push(`${at}: a workspace-only condition is published (${keys.join(', ')})`)
    }
  }
  if (!Array.isArray(manifest.files) || manifest.files.length === 0) problems.push('no "files"')
  if (typeof manifest.engines?.node !== 'string') problems.push('no "engines.node"')
  if (manifest.sideEffects === undefined) problems.push('no "sideEffects"')
  for (const target of new Set(exportTargets(manifest.exports))) {
    if (!target.includes('*') && !files.includes(target.replace(/^\.\//, ''))) {
      problems.push(`exports point at ${target}, which is not in the tarball`)
    }
  }
  for (const required of ['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md']) {
    if (!files.includes(required)) problems.push(`${required} is not in the tarball`)
  }
  for (const [name, target] of Object.entries(
    typeof manifest.bin === 'string' ? { [manifest.name]: manifest.bin } : (manifest.bin ?? {}),
  )) {
    if (!files.includes(target.replace(/^\.\//, ''))) {
      problems.push(`bin ${name} points at ${target}, which is not in the tarball`)
    }
  }
  const stray = files.filter((path) => /(^|\/)(test|src)\/|\.test\.|\.tsbuildinfo$/.test(path))
  if (stray.length > 0) problems.push(`sources or tests in the tarball: ${stray.join(', ')}`)
  return problems
}

/**
 * The are-the-types-wrong profile of a package: `node16` when it ships CommonJS (a `require`
 * condition), else `esm-only` (no CommonJS build to resolve; Node.js 22.12+ can still
 * `require()` it).
 */
export function attwProfile(manifest) {
  return JSON.stringify(manifest.exports ?? {}).includes('"require"') ? 'node16' : 'esm-only'
}
