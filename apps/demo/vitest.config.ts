import { definePackageConfig } from '../../vitest.shared.js'

// Browser tests drive one Chromium each; files run one at a time so two browsers never
// compete for the two cores of a shared machine.
export default definePackageConfig({
  redis: true,
  overrides: { test: { fileParallelism: false } },
})
