import { configDefaults } from 'vitest/config'
import { definePackageConfig } from '../../vitest.shared.js'

export default definePackageConfig({
  redis: true,
  // The model check runs on its own afterwards (vitest.model.config.ts): it keeps both cores
  // busy for a while, which would slow the timing-sensitive tests beside it.
  overrides: { test: { exclude: [...configDefaults.exclude, 'test/model/**'] } },
})
