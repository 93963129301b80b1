import type { BurstRow } from '../sections/sdk-burst.js'
import type { ServerScenario } from '../sections/server-throughput.js'
import type { BenchResults } from './results.js'
import { formatNumber, formatRatio, renderTable, type Table } from './table.js'
import { checkTarget, type TargetCheck, verdict } from './targets.js'

/** The targets the spec sets, checked against what was measured. */
export function collectTargets(results: Omit<BenchResults, 'targets'>): TargetCheck[] {
  const checks: TargetCheck[] = []
  const server = results.server
  if (server !== null) {
    const me = server.scenarios.find((scenario) => scenario.id === 'me')
    const refresh = server.scenarios.find((scenario) => scenario.id === 'refresh')
    if (me !== undefined) {
      checks.push(
        checkTarget(
          'GET /auth/me req/s / baseline',
          me.ratioToBaseline,
          '>=',
          0.9,
          formatRatio(me.ratioToBaseline),
        ),
      )
      checks.push(
        checkTarget('GET /auth/me non-2xx', me.figures.non2xx, '<=', 0, String(me.figures.non2xx)),
      )
    }
    if (refresh !== undefined && server.refresh !== null) {
      checks.push(
        checkTarget(
          'POST /auth/refresh req/s / baseline',
          refresh.ratioToBaseline,
          '>=',
          0.6,
          formatRatio(refresh.ratioToBaseline),
        ),
      )
      checks.push(
        checkTarget(
          'POST /auth/refresh non-2xx',
          refresh.figures.non2xx,
          '<=',
          0,
          String(refresh.figures.non2xx),
        ),
      )
      checks.push(
        checkTarget(
          'POST /auth/refresh sessions rotated twice',
          server.refresh.rotatedTwice,
          '<=',
          0,
          String(server.refresh.rotatedTwice),
        ),
      )
    }
  }
  const sdk = results.overhead?.rows.find((row) => row.client === 'refresh-kit')
  if (sdk !== undefined) {
    checks.push(
      checkTarget(
        'SDK overhead: refresh-kit / raw axios (median round)',
        sdk.medianRoundRatio,
        '<=',
        1.05,
        formatRatio(sdk.medianRoundRatio),
      ),
    )
  }
  for (const row of results.burst?.rows ?? []) {
    if (row.client !== 'refresh-kit') continue
    checks.push(
      checkTarget(
        `burst ${row.concurrent}: refresh-kit requests failed`,
        row.concurrent - row.succeededMin,
        '<=',
        0,
        String(row.concurrent - row.succeededMin),
      ),
    )
    const most = Math.max(...row.refreshCalls)
    checks.push(
      checkTarget(
        `burst ${row.concurrent}: refresh-kit refresh calls`,
        most,
        '<=',
        1,
        String(most),
      ),
    )
  }
  const revocation = results.revocation
  if (revocation !== null) {
    // CPU per response, not req/s: on a shared machine req/s moves with whatever else runs.
    const { on, off } = revocation.summary
    if (on.serverCpuUs !== null && off.serverCpuUs !== null) {
      const ratio = on.serverCpuUs / off.serverCpuUs
      checks.push(
        checkTarget(
          'GET /auth/me server CPU/response, revocation on / off',
          ratio,
          '<=',
          1.1,
          formatRatio(ratio),
        ),
      )
    }
    checks.push(
      checkTarget(
        'revocation reaches another instance, p95 ms',
        revocation.propagation.p95Ms,
        '<=',
        100,
        formatNumber(revocation.propagation.p95Ms, 1),
      ),
    )
  }
  for (const row of results.memory?.rows ?? []) {
    checks.push(
      checkTarget(
        `store memory bytes/session (${row.label})`,
        row.bytesPerSession,
        '<=',
        256,
        formatNumber(row.bytesPerSession, 1),
      ),
    )
  }
  return checks
}

function formatMaybe(value: number | null): string {
  return value === null ? 'n/a' : formatNumber(value)
}

function cpuRatio(baseline: number | null, value: number | null): string {
  return baseline === null || value === null || value === 0 ? 'n/a' : formatRatio(baseline / value)
}

/** autocannon records whole milliseconds: 0 means under one. */
function formatLatency(ms: number): string {
  return ms < 1 ? '<1' : formatNumber(ms)
}

function refreshCalls(row: BurstRow): string {
  const low = Math.min(...row.refreshCalls)
  const high = Math.max(...row.refreshCalls)
  return low === high ? String(low) : `${low}-${high}`
}

/** The tables printed at the end of a run, in the order of the spec. */
export function buildTables(results: BenchResults): Table[] {
  const tables: Table[] = []
  const { machine } = results
  tables.push({
    title: 'Run',
    header: ['field', 'value'],
    rows: [
      ['date', results.date],
      ['command', results.command],
      [
        'settings',
        Object.entries(results.settings)
          .map(([k, v]) => `${k}=${v}`)
          .join(' ') || '(defaults)',
      ],
      [
        'machine',
        `${machine.cores} cores, ${machine.cpuModel}, ${machine.totalMemoryGiB} GiB, ${machine.platform}`,
      ],
      ['node', machine.node],
      [
        'load average',
        `start ${machine.loadAverageAtStart.join(' ')}, end ${results.loadAverageAtEnd.join(' ')}`,
      ],
      ['wall time', `${results.wallSeconds.toFixed(1)} s`],
    ],
  })

  const server = results.server
  if (server !== null) {
    const targetOf = (scenario: ServerScenario): string => {
      if (scenario.id === 'me')
        return `>= 0.90: ${scenario.ratioToBaseline >= 0.9 ? 'met' : 'MISSED'}`
      if (scenario.id === 'refresh') {
        return `>= 0.60: ${scenario.ratioToBaseline >= 0.6 ? 'met' : 'MISSED'}`
      }
      return scenario.id === 'baseline' ? 'ceiling' : 'report only'
    }
    const pool = server.refresh
    const baselineCpu =
      server.scenarios.find((scenario) => scenario.id === 'baseline')?.figures.cpuPerRequestUs
        .server ?? null
    tables.push({
      title: `Server throughput (autocannon, ${server.connections} connections, ${server.warmupSeconds} s warm-up + ${server.durationSeconds} s each)`,
      header: [
        'scenario',
        'req/s',
        'p50 ms',
        'p99 ms',
        'non-2xx',
        'errors',
        'vs baseline',
        'target',
        'server CPU µs/req',
        'Redis CPU µs/req',
        'CPU vs baseline',
      ],
      rows: server.scenarios.map((scenario) => [
        scenario.name,
        formatNumber(scenario.figures.reqPerSec),
        formatLatency(scenario.figures.p50Ms),
        formatLatency(scenario.figures.p99Ms),
        formatNumber(scenario.figures.non2xx),
        formatNumber(scenario.figures.errors),
        formatRatio(scenario.ratioToBaseline),
        targetOf(scenario),
        formatMaybe(scenario.figures.cpuPerRequestUs.server),
        formatMaybe(scenario.figures.cpuPerRequestUs.redis),
        cpuRatio(baselineCpu, scenario.figures.cpuPerRequestUs.server),
      ]),
      notes: [
        `server: ${server.serverEntry === null ? 'node packages/server/dist/main.js' : `A VARIANT ENTRY, ${server.serverEntry}`}, own process, NODE_ENV=production LOG_LEVEL=error; Redis: ${server.redis.source}${server.redis.passwordProtected ? ' (password-protected)' : ''}`,
        `baseline: ${server.baselineChoice}`,
        'CPU µs/req: CPU time of the server process (/proc/<pid>/stat) and of Redis (INFO cpu) over the measured run, per response; unlike req/s it does not move when other processes take the cores. CPU vs baseline = baseline server CPU / this server CPU: the req/s ratio the server would reach if its own core were the only limit.',
        ...(pool === null
          ? []
          : [
              `refresh: ${formatNumber(pool.poolSize)} sessions pre-created through the Redis store in ${pool.poolCreateSeconds.toFixed(1)} s; ${formatNumber(pool.handedOut)} tokens handed out (warm-up included), each once; ${formatNumber(pool.rotatedInStore)} sessions rotated in the store, ${pool.rotatedTwice} rotated twice (grace hits impossible: no token sent twice)${pool.exhausted ? '; THE POOL RAN OUT: the non-2xx are requests sent past it' : ''}`,
            ]),
        `login: scrypt ${server.login.scrypt === null ? 'parameters unknown' : `N=${server.login.scrypt.N} (2^${Math.log2(server.login.scrypt.N)}), r=${server.login.scrypt.r}, p=${server.login.scrypt.p}`}, one user, every call a full password check and a new session`,
        ...(server.cpuProfileDir === null
          ? []
          : [`server CPU profile written to ${server.cpuProfileDir}`]),
      ],
    })
  }

  const overhead = results.overhead
  if (overhead !== null) {
    tables.push({
      title: `SDK overhead (${formatNumber(overhead.requestsPerClient)} sequential GET /auth/me per client, valid token, local server)`,
      header: [
        'client',
        'total ms',
        'µs/request',
        'vs raw axios',
        'median round ratio',
        'target <= 1.05',
      ],
      rows: overhead.rows.map((row, index) => [
        row.client,
        formatNumber(row.totalMs),
        formatNumber(row.perRequestUs),
        formatRatio(row.ratioToRaw),
        formatRatio(row.medianRoundRatio),
        index === 0 ? 'floor' : row.medianRoundRatio <= 1.05 ? 'met' : 'MISSED',
      ]),
      notes: [
        `${overhead.rounds} rounds of ${Math.ceil(overhead.requestsPerClient / overhead.rounds)} requests, the clients' order rotating each round; each client warmed up first; all on Node's default keep-alive agent`,
        'judged on the median round ratio (each round timed against raw axios in the same round), which a busy machine moves far less than the ratio of totals; both shown',
      ],
    })
  }

  const burst = results.burst
  if (burst !== null) {
    tables.push({
      title: 'SDK burst (concurrent GET /auth/me on a token the server has expired, local server)',
      header: [
        'client',
        'concurrent',
        'succeeded',
        'valid ok',
        'refresh calls',
        'stale ms',
        'valid ms',
        'stale / valid',
      ],
      rows: burst.rows.map((row) => [
        row.client,
        formatNumber(row.concurrent),
        `${formatNumber(row.succeededMin)}/${formatNumber(row.concurrent)}`,
        `${formatNumber(row.validSucceededMin)}/${formatNumber(row.concurrent)}`,
        refreshCalls(row),
        formatNumber(row.staleMedianMs, 1),
        formatNumber(row.validMedianMs, 1),
        formatRatio(row.ratioToValid),
      ]),
      notes: [
        'stale: the client believes its token valid; the server answers 401 token_expired, so every request meets the refresh path',
        'succeeded: lowest over the repeats; refresh calls: counted by the server, range over the repeats; times: medians of 5 repeats (3 at 1,000)',
        ...burst.rows
          .filter((row) => row.firstError !== null)
          .map((row) => `${row.client} at ${row.concurrent}: first failure ${row.firstError}`)
          .filter((line, index, all) => all.indexOf(line) === index),
      ],
    })
  }

  const memory = results.memory
  if (memory !== null) {
    tables.push({
      title: `Store memory (Redis ${memory.redisVersion})`,
      header: [
        'sessions',
        'user agent',
        'used_memory delta',
        'bytes/session',
        'write s',
        'target <= 256',
      ],
      rows: memory.rows.map((row) => [
        formatNumber(row.sessions),
        row.userAgentBytes === 0 ? 'none' : `${row.userAgentBytes} bytes`,
        formatNumber(row.usedMemoryAfter - row.usedMemoryBefore),
        formatNumber(row.bytesPerSession, 1),
        row.writeSeconds.toFixed(1),
        row.bytesPerSession <= 256 ? 'met' : 'MISSED',
      ]),
      notes: [
        memory.method,
        `a user record with its username index costs ${formatNumber(memory.bytesPerUser, 1)} bytes (not counted above)`,
        ...memory.rows.map(
          (row) =>
            `one user's keys (${row.label}), MEMORY USAGE: ${row.sample
              .map((key) => `${key.key} ${key.type}/${key.encoding} ${key.memoryUsage} B`)
              .join('; ')}`,
        ),
      ],
    })
  }

  const revocation = results.revocation
  if (revocation !== null) {
    const { on, off } = revocation.summary
    const cpu = (value: number | null) => (value === null ? 'n/a' : formatNumber(value))
    tables.push({
      title: `Access-token revocation (GET /auth/me, ${revocation.connections} connections, ${revocation.warmupSeconds} s warm-up + ${revocation.durationSeconds} s per run)`,
      header: ['revocation', 'round', 'req/s', 'p50 ms', 'p99 ms', 'server CPU µs/response'],
      rows: [
        ...revocation.runs.map((run) => [
          run.revocation,
          String(run.round + 1),
          formatNumber(run.figures.reqPerSec),
          formatNumber(run.figures.p50Ms, 1),
          formatNumber(run.figures.p99Ms, 1),
          cpu(run.figures.cpuPerRequestUs.server),
        ]),
        ['on, mean', '', formatNumber(on.reqPerSec), '', '', cpu(on.serverCpuUs)],
        ['off, mean', '', formatNumber(off.reqPerSec), '', '', cpu(off.serverCpuUs)],
      ],
      notes: [
        `two server processes on one Redis, alternating runs; "on" holds ${formatNumber(revocation.heldRevocations)} ended sessions in memory, "off" runs with ACCESS_TOKEN_REVOCATION=false`,
        `a revocation recorded and published by another instance is refused after p50 ${formatNumber(revocation.propagation.p50Ms, 1)} ms, p95 ${formatNumber(revocation.propagation.p95Ms, 1)} ms, max ${formatNumber(revocation.propagation.maxMs, 1)} ms (${revocation.propagation.trials} trials, polled over HTTP)`,
        `memory per 10,000 revocations: ${formatNumber(revocation.memory.heapBytesPer10kSessions / 1024)} KiB of heap for ended sessions, ${formatNumber(revocation.memory.heapBytesPer10kUsers / 1024)} KiB for logged-out users, ${formatNumber(revocation.memory.redisBytesPer10k / 1024)} KiB in Redis`,
        revocation.memory.method,
      ],
    })
  }

  const size = results.size
  if (size !== null) {
    tables.push({
      title: 'SDK size',
      header: ['package', 'version', 'minified bytes', 'min+gzip bytes'],
      rows: size.rows.map((row) => [
        row.package,
        row.version,
        formatNumber(row.minifiedBytes),
        formatNumber(row.gzippedBytes),
      ]),
      notes: [size.method],
    })
  }

  tables.push({
    title: 'Targets',
    header: ['figure', 'target', 'actual', 'verdict'],
    rows: results.targets.map((check) => [check.name, check.target, check.shown, verdict(check)]),
  })
  return tables
}

/** The whole printed report. */
export function renderReport(results: BenchResults): string {
  return buildTables(results).map(renderTable).join('\n\n')
}
