import { execFileSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { manifestProblems } from '../../scripts/lib/packages.mjs'
import { packed, packedPackages } from './lib/projects.js'

describe('the packed packages', () => {
  it('include every publishable package: shared, server and client-sdk at least', () => {
    const names = packedPackages().map((pkg) => pkg.name)
    expect(names).toEqual(
      expect.arrayContaining([
        '@refresh-kit/shared',
        '@refresh-kit/server',
        '@refresh-kit/client-sdk',
      ]),
    )
  })

  it.each(packedPackages().map((pkg) => [pkg.name, pkg] as const))(
    '%s is fit to publish: real version ranges, types first, files, engines, README, LICENSE and CHANGELOG',
    (_name, pkg) => {
      expect(manifestProblems(pkg.manifest, pkg.files)).toEqual([])
    },
  )

  it("pins the server's dependency on shared to the packed shared version, not workspace:", () => {
    const shared = packed('@refresh-kit/shared')
    const server = packed('@refresh-kit/server')
    expect(server.manifest.dependencies?.['@refresh-kit/shared']).toBe(`^${shared.version}`)
  })

  it('ships the refresh-kit-server bin as the dist/main.js entry, runnable as a script', () => {
    const server = packed('@refresh-kit/server')
    expect(server.manifest.bin).toEqual({ 'refresh-kit-server': './dist/main.js' })
    const main = execFileSync('tar', ['-xzOf', server.tarball, 'package/dist/main.js'], {
      encoding: 'utf8',
    })
    expect(main.split('\n')[0]).toBe('#!/usr/bin/env node')
  })
})
