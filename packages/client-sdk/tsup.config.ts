import { defineConfig } from 'tsup'

export default defineConfig({
  // The cross-tab coordinator is browser-only and opt-in: its own entry keeps it out of the
  // main bundle of apps that run in one tab or in Node.js. The fetch binding has its own entry
  // too, so an app without axios never loads it.
  // The Node entry (file and keychain storages, the lock file) is the only one that touches
  // `node:` modules and the lock library; the browser entries never reach it.
  entry: {
    index: 'src/index.ts',
    fetch: 'src/fetch.ts',
    'cross-tab': 'src/cross-tab.ts',
    node: 'src/node.ts',
  },
  format: ['esm', 'cjs'],
  platform: 'neutral',
  target: 'es2022',
  // @refresh-kit/shared is private: its code and its types ship inside this package.
  noExternal: ['@refresh-kit/shared'],
  external: ['axios', 'proper-lockfile', '@napi-rs/keyring', /^node:/],
  // Resolved by path, not through node_modules, so the declarations inline the shared types too.
  dts: { compilerOptions: { paths: { '@refresh-kit/shared': ['../shared/src/index.ts'] } } },
  clean: true,
  sourcemap: true,
  treeshake: true,
  // Bundle the shared sources rather than a prior build of them.
  esbuildOptions(options) {
    options.conditions = ['@refresh-kit/source']
  },
})
