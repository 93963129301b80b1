import { fileURLToPath } from 'node:url'
import { definePackageConfig } from '../vitest.shared.js'

export default definePackageConfig({
  redis: true,
  overrides: {
    test: {
      // Packs every publishable package once for all files (after the Redis setup).
      globalSetup: [fileURLToPath(new URL('./test/setup/pack.ts', import.meta.url))],
      // Each file installs a project with npm: one at a time on a shared machine.
      fileParallelism: false,
      testTimeout: 180_000,
      hookTimeout: 600_000,
    },
  },
})
