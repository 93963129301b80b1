import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const demoScript = fileURLToPath(new URL('../dist/node/node-demo.js', import.meta.url))

/** Runs `pnpm demo:node` (the built script) to its end; resolves its exit code and output. */
function runDemo(): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [demoScript], {
      env: { ...process.env, DEMO_SERVER_URL: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8')
    })
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8')
    })
    child.once('error', reject)
    child.once('exit', (code) => resolve({ code, output }))
  })
}

describe('pnpm demo:node', () => {
  it('four processes share one session across four token lifetimes: one refresh each, every request answered', async () => {
    const { code, output } = await runDemo()
    console.log(output)
    expect(code).toBe(0)
    expect(output).toMatch(/kept in \S+tokens\.json \(mode 600\)/)
    const done = /done: (\d+) of (\d+) requests answered 200; (\d+) refresh requests/.exec(output)
    expect(done).not.toBeNull()
    const [, answered, requests, refreshes] = (done ?? []).map(Number)
    expect(answered).toBe(requests)
    expect(requests).toBeGreaterThan(4 * 5)
    // 8 s of tokens used for 2 s each: four refreshes, one more if the last was under way.
    expect(refreshes).toBeGreaterThanOrEqual(2)
    expect(refreshes).toBeLessThanOrEqual(5)
    // Each refresh is printed with the process that made it.
    const made = output.match(/\[[A-D]\] ↻ process [A-D] refreshed: generation \d+/g) ?? []
    expect(made).toHaveLength(refreshes ?? -1)
    expect(output).not.toMatch(/session expired|failed/)
    expect(output).toContain('signed out: no tokens left in the file')
  }, 120_000)
})
