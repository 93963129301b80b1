import { defineConfig } from 'vite'

// The page is plain TypeScript; `vite build` writes it to dist/web, which the demo server
// (dist/node/serve.js), the browser tests and the compose `demo` service serve.
export default defineConfig({
  build: { outDir: 'dist/web', emptyOutDir: true, target: 'es2022' },
  server: {
    port: Number(process.env.DEMO_PORT ?? 5173),
    // `vite` (dev mode) forwards the API like the demo server does, so the page has one origin.
    proxy: Object.fromEntries(
      ['/auth', '/healthz', '/readyz', '/.well-known'].map((path) => [
        path,
        process.env.DEMO_API_URL ?? 'http://127.0.0.1:3000',
      ]),
    ),
  },
})
