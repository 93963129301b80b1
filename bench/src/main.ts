import { mkdir, writeFile } from 'node:fs/promises'
import { loadavg } from 'node:os'
import { basename, dirname, extname, join, resolve } from 'node:path'
import { axiosAuthRefresh } from './clients/axios-auth-refresh.js'
import { rawFetch, refreshKitFetch } from './clients/fetch.js'
import { rawAxios } from './clients/raw-axios.js'
import { refreshKit } from './clients/refresh-kit.js'
import { readConfig, runs } from './config.js'
import { startLocalApi } from './lib/local-api.js'
import { describeMachine } from './lib/machine.js'
import { BENCH_ROOT } from './lib/paths.js'
import { buildPlots } from './report/plots.js'
import { collectTargets, renderReport } from './report/render.js'
import type { BenchResults } from './report/results.js'
import { measurePerUserCurve, measureProcessesCurve, measureScaleCurve } from './sections/curves.js'
import { measureRevocation } from './sections/revocation.js'
import { measureBurst } from './sections/sdk-burst.js'
import { measureOverhead } from './sections/sdk-overhead.js'
import { measureSizes } from './sections/sdk-size.js'
import { measureServer } from './sections/server-throughput.js'
import { measureStoreMemory } from './sections/store-memory.js'

const startedAt = Date.now()
// Progress goes to stderr, so stdout carries the report alone.
const log = (line: string) =>
  void process.stderr.write(`[bench +${((Date.now() - startedAt) / 1000).toFixed(0)}s] ${line}\n`)

async function main(): Promise<void> {
  const config = readConfig(process.env)
  const started = startedAt
  const date = new Date(started).toISOString()
  const machine = describeMachine()
  const settings = Object.fromEntries(
    Object.entries(process.env).filter(
      (entry): entry is [string, string] => entry[0].startsWith('BENCH_') && entry[1] !== undefined,
    ),
  )
  log(
    `${date}: ${machine.cores} cores, ${machine.cpuModel}, Node ${machine.node}, load ${machine.loadAverageAtStart.join(' ')}`,
  )

  const partial: Omit<BenchResults, 'targets' | 'plots'> = {
    date,
    command: 'pnpm bench',
    settings,
    machine,
    loadAverageAtEnd: [],
    wallSeconds: 0,
    size: null,
    overhead: null,
    overheadFetch: null,
    burst: null,
    memory: null,
    server: null,
    revocation: null,
    scale: null,
    perUser: null,
    processes: null,
  }

  if (runs(config, 'size')) {
    log('SDK size')
    partial.size = await measureSizes()
  }
  if (runs(config, 'overhead') || runs(config, 'burst')) {
    const api = await startLocalApi()
    try {
      if (runs(config, 'overhead')) {
        log(`SDK overhead: ${config.overheadRequests} sequential requests per client`)
        partial.overhead = await measureOverhead(
          api,
          [rawAxios, refreshKit, axiosAuthRefresh({ deduplicateRefresh: true })],
          config.overheadRequests,
        )
        log(`SDK overhead, fetch entry: ${config.overheadRequests} sequential requests per client`)
        partial.overheadFetch = await measureOverhead(
          api,
          [rawFetch, refreshKitFetch],
          config.overheadRequests,
        )
      }
      if (runs(config, 'burst')) {
        log(`SDK burst: ${config.burstSizes.join(', ')} concurrent requests`)
        partial.burst = await measureBurst(
          api,
          [
            refreshKit,
            axiosAuthRefresh({ deduplicateRefresh: true }),
            axiosAuthRefresh({ deduplicateRefresh: false }),
          ],
          config.burstSizes,
        )
      }
    } finally {
      await api.close()
    }
  }
  if (runs(config, 'memory')) {
    log(`store memory: ${config.memorySessions} sessions`)
    partial.memory = await measureStoreMemory(config.memorySessions, log)
  }
  if (runs(config, 'server')) {
    log(
      `server throughput: ${config.warmupSeconds} s warm-up + ${config.durationSeconds} s per scenario`,
    )
    partial.server = await measureServer({
      durationSeconds: config.durationSeconds,
      warmupSeconds: config.warmupSeconds,
      connections: config.connections,
      cpuProfileDir: config.cpuProfileDir === null ? null : resolve(config.cpuProfileDir),
      ...(config.serverScenarios === null ? {} : { scenarios: config.serverScenarios }),
      serverEntry: config.serverEntry === null ? null : resolve(config.serverEntry),
      log,
    })
  }

  if (runs(config, 'revocation')) {
    log(
      `revocation: GET /auth/me with revocation on and off, ${config.warmupSeconds} s warm-up + ${config.durationSeconds} s per run`,
    )
    partial.revocation = await measureRevocation({
      durationSeconds: config.durationSeconds,
      warmupSeconds: config.warmupSeconds,
      connections: config.connections,
      log,
    })
  }

  const curveLoad = {
    durationSeconds: config.curveDurationSeconds,
    warmupSeconds: config.curveWarmupSeconds,
    connections: config.connections,
    log,
  }
  if (runs(config, 'scale')) {
    log(`scale: refresh and memory at ${config.scaleSessions.join(', ')} live sessions`)
    partial.scale = await measureScaleCurve(config.scaleSessions, curveLoad)
  }
  if (runs(config, 'per-user')) {
    log(`per-user: login and refresh at ${config.userSessions.join(', ')} sessions per user`)
    partial.perUser = await measurePerUserCurve(config.userSessions, config.maxSessionsPerUser, {
      ...curveLoad,
      logins: config.logins,
    })
  }
  if (runs(config, 'processes')) {
    log('processes: refresh throughput of 1 and 2 server processes, one Redis and a cluster')
    partial.processes = await measureProcessesCurve(curveLoad)
  }

  partial.wallSeconds = (Date.now() - started) / 1000
  partial.loadAverageAtEnd = loadavg().map((value) => Math.round(value * 100) / 100)
  const output = resolve(BENCH_ROOT, config.outputPath)
  const stem = basename(output, extname(output))
  const plotFiles = buildPlots(partial)
  const results: BenchResults = {
    ...partial,
    targets: collectTargets(partial),
    plots: plotFiles.map((plot) => `${stem}-${plot.name}.svg`),
  }
  process.stdout.write(`${renderReport(results)}\n`)
  await mkdir(dirname(output), { recursive: true })
  await writeFile(output, `${JSON.stringify(results, null, 2)}\n`)
  for (const plot of plotFiles) {
    await writeFile(join(dirname(output), `${stem}-${plot.name}.svg`), plot.svg)
  }
  log(
    `results written to ${output}${plotFiles.length > 0 ? `, ${plotFiles.length} plots beside it` : ''}`,
  )
}

main().then(
  // Sockets of the load runs may linger in keep-alive; the run is over.
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(
      `[bench] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    )
    process.exit(1)
  },
)
