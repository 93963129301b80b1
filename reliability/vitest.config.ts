import { definePackageConfig } from '../vitest.shared.js'

export default definePackageConfig({
  redis: true,
  overrides: {
    test: {
      include: ['test/**/*.rel.test.ts'],
      outputFile: { json: './test-results/vitest-reliability.json' },
      // One part at a time: each measures the machine, and two at once would measure each other.
      fileParallelism: false,
      // Merges the figures every part printed into test-results/figures.json.
      globalSetup: ['./src/figures-setup.ts'],
      testTimeout: 180_000,
    },
  },
})
