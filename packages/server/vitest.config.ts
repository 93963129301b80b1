import { configDefaults } from 'vitest/config'
import { definePackageConfig } from '../../vitest.shared.js'

export default definePackageConfig({
  redis: true,
  overrides: {
    test: {
      setupFiles: ['./test/support/validate-responses.ts'],
      // The model check runs on its own afterwards (vitest.model.config.ts): it keeps both cores
      // busy for a while, which would slow the timing-sensitive tests beside it.
      exclude: [...configDefaults.exclude, 'test/model/**'],
    },
  },
})
