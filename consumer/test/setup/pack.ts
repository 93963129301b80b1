import type { TestProject } from 'vitest/node'
import {
  freshDirectory,
  packPackage,
  publishablePackages,
  removeDirectory,
  tarballFiles,
  tarballManifest,
} from '../../../scripts/lib/packages.mjs'

/** A publishable package packed for this run. */
export interface PackedPackage {
  name: string
  version: string
  /** Absolute path of the tarball, outside the workspace. */
  tarball: string
  /** The package.json inside the tarball. */
  manifest: PackedManifest
  /** The paths inside the tarball. */
  files: string[]
}

/** The fields of a packed package.json the tests read. */
export interface PackedManifest {
  name: string
  version: string
  exports?: Record<string, unknown>
  bin?: Record<string, string>
  dependencies?: Record<string, string>
  peerDependencies?: Record<string, string>
  peerDependenciesMeta?: Record<string, { optional?: boolean }>
  [field: string]: unknown
}

declare module 'vitest' {
  export interface ProvidedContext {
    packedPackages: PackedPackage[]
  }
}

/**
 * Vitest global setup: packs every publishable package under packages/ with `pnpm pack` (as
 * `pnpm publish` would) into a temporary directory, once for all test files. The packages
 * must have been built (`pnpm build`).
 */
export default function setup(project: TestProject): () => void {
  const dir = freshDirectory('tarballs')
  const packed = publishablePackages().map((pkg): PackedPackage => {
    const tarball = packPackage(pkg, dir)
    return {
      name: pkg.name,
      version: pkg.version,
      tarball,
      manifest: tarballManifest(tarball),
      files: tarballFiles(tarball),
    }
  })
  project.provide('packedPackages', packed)
  return () => removeDirectory(dir)
}
