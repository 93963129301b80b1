import { definePackageConfig } from '../../vitest.shared.js'

export default definePackageConfig({
  redis: true,
  overrides: { test: { setupFiles: ['./test/support/validate-responses.ts'] } },
})
