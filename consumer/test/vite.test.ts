import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { nodeBuiltinsIn } from './lib/bundle.js'
import { createProject, type Project, packedPackages, type RunResult, run } from './lib/projects.js'

/** Packages for browsers: every publishable one but the Node.js token server. */
const browserPackages = () => packedPackages().filter((pkg) => pkg.name !== '@refresh-kit/server')

/** Entry points for Node.js only: they read and lock files. */
const NODE_ONLY = new Set(['@refresh-kit/client-sdk/node'])

/** Every entry point of the browser packages, as a user imports it. */
function entryPoints(): string[] {
  return browserPackages().flatMap((pkg) =>
    Object.keys(pkg.manifest.exports ?? {})
      .filter((subpath) => subpath !== './package.json' && !subpath.includes('*'))
      .filter((subpath) => !NODE_ONLY.has(`${pkg.name}/${subpath.slice(2)}`))
      .map((subpath) => (subpath === '.' ? pkg.name : `${pkg.name}/${subpath.slice(2)}`)),
  )
}

let project: Project
let build: RunResult
let bundle: string

beforeAll(async () => {
  const names = new Set(packedPackages().map((pkg) => pkg.name))
  const peers = Object.fromEntries(
    browserPackages().flatMap((pkg) =>
      Object.entries(pkg.manifest.peerDependencies ?? {}).filter(([name]) => !names.has(name)),
    ),
  )
  project = await createProject('vite', {
    packages: browserPackages(),
    registry: { ...peers, vite: '^8.0.0' },
    fixtures: 'web',
  })
  const entries = entryPoints()
  writeFileSync(
    join(project.dir, 'src/entries.ts'),
    `${entries.map((entry, i) => `import * as entry${i} from '${entry}'`).join('\n')}\n` +
      `export const entries: object[] = [${entries.map((_, i) => `entry${i}`).join(', ')}]\n`,
  )
  build = await run('npx', ['vite', 'build'], { cwd: project.dir })
  const assets = join(project.dir, 'dist/assets')
  bundle =
    build.code === 0
      ? readdirSync(assets)
          .filter((name) => name.endsWith('.js'))
          .map((name) => readFileSync(join(assets, name), 'utf8'))
          .join('\n')
      : ''
})

afterAll(() => project?.remove())

describe('a Vite build of a page importing the installed SDK', () => {
  it('succeeds without externalizing anything for browser compatibility', () => {
    expect(build.code, `${build.stdout}\n${build.stderr}`).toBe(0)
    expect(`${build.stdout}${build.stderr}`).not.toMatch(/externalized for browser compatibility/)
  })

  it('bundles the SDK, axios and every browser entry point', () => {
    expect(bundle).toContain('/auth/refresh')
    expect(bundle).toContain('XMLHttpRequest')
    expect(entryPoints()).toEqual(expect.arrayContaining(['@refresh-kit/client-sdk']))
    expect(readFileSync(join(project.dir, 'src/entries.ts'), 'utf8')).toContain(
      "from '@refresh-kit/client-sdk/cross-tab'",
    )
  })

  it('holds no Node.js built-in module', () => {
    expect(bundle.length).toBeGreaterThan(0)
    expect(nodeBuiltinsIn(bundle)).toEqual([])
  })
})

describe('the built-in module scan', () => {
  it('finds imports, requires and Vite stand-ins of Node.js built-ins', () => {
    expect(
      nodeBuiltinsIn(
        [
          'import{randomBytes as r}from"node:crypto";',
          'const f=require("fs");',
          'import("node:http").then(()=>{});',
          'export{join}from"path";',
          'import e from"__vite-browser-external:node:os";',
        ].join(''),
      ),
    ).toEqual(['node:crypto', 'fs', 'node:http', 'path', '__vite-browser-external:node:os'])
  })

  it('passes code that only mentions such words', () => {
    expect(nodeBuiltinsIn('const path="/auth/me";fetch(url,{method:"POST"});let crypto=1')).toEqual(
      [],
    )
  })
})
