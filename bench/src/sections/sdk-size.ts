import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'

/** The size of one package's ESM entry, bundled as an app would ship it. */
export interface SizeRow {
  package: string
  /** The goal in gzipped bytes, for refresh-kit's entries. */
  target: number | null
  version: string
  /** The files that ended up in the bundle, relative to the bench package. */
  files: string[]
  minifiedBytes: number
  gzippedBytes: number
}

/** What {@link measureSizes} found. */
export interface SizeResult {
  method: string
  rows: SizeRow[]
}

const benchRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..')

async function measure(name: string, target: number | null = null): Promise<SizeRow> {
  const result = await build({
    // Resolved as a bundler resolves an app's `import` of the package: its ESM entry.
    stdin: { contents: `export * from '${name}'`, resolveDir: benchRoot, loader: 'js' },
    bundle: true,
    metafile: true,
    absWorkingDir: benchRoot,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    external: ['axios'],
    write: false,
    logLevel: 'silent',
  })
  const output = result.outputFiles[0]
  if (output === undefined) throw new Error(`esbuild produced nothing for ${name}`)
  const files = Object.keys(result.metafile.inputs).filter((input) => input !== '<stdin>')
  return {
    package: name,
    target,
    version: packageVersion(
      name
        .split('/')
        .slice(0, name.startsWith('@') ? 2 : 1)
        .join('/'),
    ),
    files,
    minifiedBytes: output.contents.byteLength,
    gzippedBytes: gzipSync(output.contents, { level: 9 }).byteLength,
  }
}

function packageVersion(name: string): string {
  // Read from the installed folder: not every package exports its `package.json`.
  const text = readFileSync(join(benchRoot, 'node_modules', name, 'package.json'), 'utf8')
  const manifest = JSON.parse(text) as { version?: string }
  return manifest.version ?? 'unknown'
}

/**
 * Bundles the ESM entry of each package with esbuild (bundle, minify, axios external, what
 * it imports included) and gzips the result with zlib at level 9.
 *
 * @example
 * ```ts
 * const { rows } = await measureSizes() // refresh-kit's axios, fetch and cross-tab entries, then axios-auth-refresh
 * ```
 */
export async function measureSizes(): Promise<SizeResult> {
  return {
    method:
      "esbuild bundle of `export * from '<package>'` (its ESM entry), minify, format esm, platform browser, axios external; zlib gzip level 9",
    rows: [
      await measure('@refresh-kit/client-sdk', 2560),
      await measure('@refresh-kit/client-sdk/fetch', 2560),
      await measure('@refresh-kit/client-sdk/cross-tab', 1024),
      await measure('axios-auth-refresh'),
    ],
  }
}
