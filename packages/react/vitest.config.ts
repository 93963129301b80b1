import { definePackageConfig } from '../../vitest.shared.js'

// React 19 runs here directly; test/browser builds the page and a server-rendering bundle once
// per React version (18 and 19) with Vite, and runs both.
export default definePackageConfig({ redis: true })
