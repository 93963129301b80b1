// Writes the SDK and server API reference (docs/reference/api/<package>/) from the packages'
// public types with TypeDoc, so the pages can never drift from the code: `pnpm docs:build`
// and `pnpm docs` run it first, and the output is not committed.
import { rm } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { Application } from 'typedoc'
import { API_PACKAGES } from '../.vitepress/site.mjs'

const root = fileURLToPath(new URL('../../', import.meta.url))
const out = fileURLToPath(new URL('../reference/api/', import.meta.url))

await rm(out, { recursive: true, force: true })
for (const pkg of API_PACKAGES) {
  const base = `${root}packages/${pkg.dir}/`
  /** @type {import('typedoc').TypeDocOptions & import('typedoc-plugin-markdown').PluginOptions} */
  const options = {
    name: pkg.name,
    entryPoints: pkg.entryPoints.map((entry) => base + entry),
    tsconfig: `${base}tsconfig.json`,
    plugin: ['typedoc-plugin-markdown'],
    out: `${out}${pkg.dir}`,
    readme: 'none',
    entryFileName: 'index',
    // The packages' own type checks run in CI already; the reference only reads the types.
    skipErrorChecking: true,
    // Source links would name files that move; the reference names exports only.
    disableSources: true,
    excludePrivate: true,
    excludeInternal: true,
    hideBreadcrumbs: true,
    hidePageHeader: true,
    logLevel: 'Warn',
  }
  const app = await Application.bootstrapWithPlugins(options)
  const project = await app.convert()
  if (project === undefined) throw new Error(`TypeDoc could not read ${pkg.name}`)
  await app.generateOutputs(project)
  console.log(`API reference of ${pkg.name} written to docs/reference/api/${pkg.dir}/`)
}
