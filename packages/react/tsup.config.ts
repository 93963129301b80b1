import { defineConfig } from 'tsup'

export default defineConfig({
  entry: { index: 'src/index.ts' },
  format: ['esm', 'cjs'],
  platform: 'neutral',
  target: 'es2022',
  external: ['react', '@refresh-kit/client-sdk', '@refresh-kit/client-sdk/fetch'],
  dts: true,
  clean: true,
  sourcemap: true,
  treeshake: true,
})
