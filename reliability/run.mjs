#!/usr/bin/env node
// `pnpm test:reliability [--full] [vitest args...]`: the short run (a few seconds per long
// part, what CI runs) by default, the full run (30 s of load, 10,000+ fuzzed requests, 50
// timed logins per kind) with --full. Everything else is handed to vitest.
import { spawn } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const args = process.argv.slice(2)
const full = args.includes('--full')
const vitestArgs = args.filter((arg) => arg !== '--full')
const vitest = join(here, 'node_modules', 'vitest', 'vitest.mjs')

const child = spawn(process.execPath, [vitest, 'run', ...vitestArgs], {
  cwd: here,
  stdio: 'inherit',
  env: { ...process.env, RELIABILITY_FULL: full ? '1' : '0' },
})
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => child.kill(signal))
}
child.on('exit', (code, signal) => {
  process.exitCode = code ?? (signal === null ? 1 : 128)
})
