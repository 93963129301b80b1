import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { defineConfig, mergeConfig, type ViteUserConfig } from 'vitest/config'
import type { Reporter } from 'vitest/reporters'

const root = (path: string) => fileURLToPath(new URL(path, import.meta.url))

/**
 * Workspace packages resolved to their sources, so tests never need a prior build.
 * More specific paths come first.
 */
export const sourceAliases = [
  { find: /^@refresh-kit\/testing$/, replacement: root('./packages/testing/src/index.ts') },
  { find: /^@refresh-kit\/testing\/redis$/, replacement: root('./packages/testing/src/redis.ts') },
  {
    find: /^@refresh-kit\/shared\/schemas$/,
    replacement: root('./packages/shared/src/schemas/index.ts'),
  },
  { find: /^@refresh-kit\/shared$/, replacement: root('./packages/shared/src/index.ts') },
  {
    find: /^@refresh-kit\/server\/postgres$/,
    replacement: root('./packages/server/src/postgres.ts'),
  },
  {
    find: /^@refresh-kit\/server\/internal$/,
    replacement: root('./packages/server/src/internal.ts'),
  },
  { find: /^@refresh-kit\/server$/, replacement: root('./packages/server/src/index.ts') },
  {
    find: /^@refresh-kit\/client-sdk\/fetch$/,
    replacement: root('./packages/client-sdk/src/fetch.ts'),
  },
  {
    find: /^@refresh-kit\/client-sdk\/cross-tab$/,
    replacement: root('./packages/client-sdk/src/cross-tab.ts'),
  },
  { find: /^@refresh-kit\/client-sdk$/, replacement: root('./packages/client-sdk/src/index.ts') },
]

/**
 * Vitest fails a run whose tests all passed when an error escapes them (a rejection nobody
 * awaited, a worker that would not stop), and its JSON report does not say so. This reporter
 * writes those errors beside the report (`unhandled-errors-<report name>`), so the CI summary
 * counts them and names them.
 */
function unhandledErrorsReporter(): Reporter {
  let file: string | undefined
  return {
    onInit(vitest) {
      const json = vitest.config.outputFile
      const report = typeof json === 'string' ? json : json?.json
      if (report === undefined) return
      file = join(vitest.config.root, dirname(report), `unhandled-errors-${basename(report)}`)
      rmSync(file, { force: true })
    },
    onTestRunEnd(_modules, unhandledErrors) {
      if (file === undefined || unhandledErrors.length === 0) return
      const errors = unhandledErrors.map(({ name, message, stack }) => ({ name, message, stack }))
      mkdirSync(dirname(file), { recursive: true })
      writeFileSync(file, `${JSON.stringify(errors, null, 2)}\n`)
    },
  }
}

/** Options of {@link definePackageConfig}. */
export interface PackageTestOptions {
  /** Provide one real Redis for the package's run (see packages/testing). @default false */
  redis?: boolean
  /** Merged over the defaults. */
  overrides?: ViteUserConfig
}

/**
 * The vitest config every package shares: sources instead of builds, the Redis harness when
 * asked for, and a JSON report in `test-results/` that `.ci/run` sums up.
 */
export function definePackageConfig(options: PackageTestOptions = {}): ViteUserConfig {
  const base = defineConfig({
    resolve: { alias: sourceAliases },
    test: {
      include: ['test/**/*.test.ts'],
      globalSetup: options.redis === true ? [root('./packages/testing/src/global-setup.ts')] : [],
      reporters: ['default', 'json', unhandledErrorsReporter()],
      outputFile: { json: './test-results/vitest.json' },
      // Generous: tests must pass on a slow, shared 2-core machine; speed is the benchmark's job.
      testTimeout: 30_000,
      hookTimeout: 60_000,
    },
  })
  return options.overrides === undefined ? base : mergeConfig(base, options.overrides)
}
