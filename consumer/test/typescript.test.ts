import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createProject, type Project, packedPackages, run } from './lib/projects.js'

/** Type packages for peer dependencies that ship no types of their own. */
const PEER_TYPES: Record<string, string> = {
  react: '@types/react',
  'react-dom': '@types/react-dom',
}

let project: Project

/** Every entry point of every packed package, as a user imports it. */
function entryPoints(): string[] {
  return packedPackages().flatMap((pkg) =>
    Object.keys(pkg.manifest.exports ?? {})
      .filter((subpath) => subpath !== './package.json' && !subpath.includes('*'))
      .map((subpath) => (subpath === '.' ? pkg.name : `${pkg.name}/${subpath.slice(2)}`)),
  )
}

beforeAll(async () => {
  const names = new Set(packedPackages().map((pkg) => pkg.name))
  const peers = Object.fromEntries(
    packedPackages().flatMap((pkg) =>
      Object.entries(pkg.manifest.peerDependencies ?? {}).filter(([name]) => !names.has(name)),
    ),
  )
  const peerTypes = Object.fromEntries(
    Object.keys(peers)
      .filter((name) => PEER_TYPES[name] !== undefined)
      .map((name) => [PEER_TYPES[name] as string, '*']),
  )
  // No @types/koa: the server brings the types its own declarations use.
  project = await createProject('typescript', {
    packages: packedPackages(),
    registry: {
      ...peers,
      ...peerTypes,
      typescript: '~5.9.3',
      '@types/node': '^20.19.0',
      koa: '^3.0.0',
      '@koa/router': '^15.0.0',
    },
    fixtures: 'typescript',
  })
  // Every entry point of every package, imported by name, so a package added later is covered.
  const entries = entryPoints()
  writeFileSync(
    join(project.dir, 'src/entries.ts'),
    `${entries.map((entry, i) => `import * as entry${i} from '${entry}'`).join('\n')}\n` +
      `export const entries = [${entries.map((_, i) => `entry${i}`).join(', ')}]\n`,
  )
})

afterAll(() => project?.remove())

describe('a TypeScript project using the installed packages', () => {
  it.each([
    ['node16', 'tsconfig.node16.json'],
    ['bundler', 'tsconfig.bundler.json'],
  ])(
    'type-checks the quick starts and every entry point with moduleResolution %s, misuses rejected',
    async (_resolution, tsconfig) => {
      const result = await run('npx', ['tsc', '-p', tsconfig], { cwd: project.dir })
      expect(`${result.stdout}${result.stderr}`).toBe('')
      expect(result.code).toBe(0)
    },
  )

  it('reports a misuse of the SDK as an error (the check can fail)', async () => {
    writeFileSync(
      join(project.dir, 'src/wrong.ts'),
      "import { createAuthClient } from '@refresh-kit/client-sdk'\n" +
        "createAuthClient({ baseURL: 'https://api.example.com' }).login({ username: 'ada' })\n",
    )
    // Only that file, and the libraries' declarations trusted: the checks above cover them.
    writeFileSync(
      join(project.dir, 'tsconfig.wrong.json'),
      JSON.stringify({
        extends: './tsconfig.node16.json',
        compilerOptions: { skipLibCheck: true },
        include: ['src/wrong.ts'],
      }),
    )
    const result = await run('npx', ['tsc', '-p', 'tsconfig.wrong.json'], { cwd: project.dir })
    expect(result.code).not.toBe(0)
    expect(result.stdout).toMatch(/src\/wrong\.ts\(2,\d+\): error TS2345: .*'Credentials'/)
  })
})
