import { definePackageConfig } from '../../vitest.shared.js'

/** The spin model check of the rotation protocol, run alone after the other tests. */
const config = definePackageConfig()
// Set, not merged: merging would add these to the package's own patterns.
config.test = {
  ...config.test,
  include: ['test/model/**/*.test.ts'],
  outputFile: { json: './test-results/vitest-model.json' },
  fileParallelism: false,
}
export default config
