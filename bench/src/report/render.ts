import type { BurstRow } from '../sections/sdk-burst.js'
import type { ServerScenario } from '../sections/server-throughput.js'
import type { BenchResults } from './results.js'
import { formatNumber, formatRatio, renderTable, type Table } from './table.js'
import { checkTarget, type TargetCheck, verdict } from './targets.js'

/** The targets the spec sets, checked against what was measured. */
export function collectTargets(results: Omit<BenchResults, 'targets' | 'plots'>): TargetCheck[] {
  const checks: TargetCheck[] = []
  const server = results.server
  if (server !== null) {
    const find = (id: ServerScenario['id']) => server.scenarios.find((s) => s.id === id)
    const baseline = find('baseline')
    const me = find('me')
    const refresh = find('refresh')
    const koaJwt = find('koa-jwt')
    const naive = find('naive-refresh')
    const cpu = (scenario: ServerScenario | undefined) =>
      scenario?.figures.cpuPerRequestUs.server ?? null
    const cpuRatioOf = (scenario: ServerScenario | undefined, base: ServerScenario | undefined) => {
      const top = cpu(scenario)
      const bottom = cpu(base)
      return top === null || bottom === null || bottom === 0 ? Number.NaN : top / bottom
    }
    if (me !== undefined) {
      checks.push(
        checkTarget(
          'GET /auth/me req/s / GET /healthz req/s',
          me.ratioToBaseline,
          '>=',
          0.9,
          formatRatio(me.ratioToBaseline),
        ),
      )
      const ratio = cpuRatioOf(me, baseline)
      checks.push(
        checkTarget(
          'GET /auth/me server CPU/response / GET /healthz',
          ratio,
          '<=',
          1.15,
          formatRatio(ratio),
        ),
      )
      checks.push(
        checkTarget('GET /auth/me non-2xx', me.figures.non2xx, '<=', 0, String(me.figures.non2xx)),
      )
    }
    if (refresh !== undefined && server.refresh !== null) {
      checks.push(
        checkTarget(
          'POST /auth/refresh req/s / GET /healthz req/s',
          refresh.ratioToBaseline,
          '>=',
          0.6,
          formatRatio(refresh.ratioToBaseline),
        ),
      )
      const ratio = cpuRatioOf(refresh, baseline)
      checks.push(
        checkTarget(
          'POST /auth/refresh server CPU/refresh / GET /healthz',
          ratio,
          '<=',
          2,
          formatRatio(ratio),
        ),
      )
      const redisUs = refresh.redisCommandUsPerResponse ?? Number.NaN
      checks.push(
        checkTarget(
          'Redis CPU µs per rotation (INFO commandstats)',
          redisUs,
          '<=',
          20,
          formatNumber(redisUs, 1),
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
    const versus = (
      ours: ServerScenario | undefined,
      theirs: ServerScenario | undefined,
      label: string,
    ) => {
      if (ours === undefined || theirs === undefined) return
      const speed = ours.figures.reqPerSec / theirs.figures.reqPerSec
      checks.push(
        checkTarget(`${label}: req/s, refresh-kit / theirs`, speed, '>', 1, formatRatio(speed)),
      )
      const cost = cpuRatioOf(ours, theirs)
      checks.push(
        checkTarget(
          `${label}: server CPU/response, refresh-kit / theirs`,
          cost,
          '<',
          1,
          formatRatio(cost),
        ),
      )
      checks.push(
        checkTarget(
          `${label}: their non-2xx`,
          theirs.figures.non2xx,
          '<=',
          0,
          String(theirs.figures.non2xx),
        ),
      )
    }
    versus(me, koaJwt, 'GET /auth/me vs Koa + koa-jwt')
    versus(refresh, naive, 'POST /auth/refresh vs GET/DEL/SET rotation')
  }
  const rowsOf = (overhead: BenchResults['overhead']) => overhead?.rows.slice(1) ?? []
  for (const row of [...rowsOf(results.overhead), ...rowsOf(results.overheadFetch)]) {
    if (!row.client.startsWith('refresh-kit')) continue
    const floor =
      row.client === 'refresh-kit/fetch' ? results.overheadFetch?.floor : results.overhead?.floor
    checks.push(
      checkTarget(
        `SDK overhead: ${row.client} / ${floor ?? 'floor'} (median round)`,
        row.medianRoundRatio,
        '<=',
        1.03,
        formatRatio(row.medianRoundRatio),
      ),
    )
  }
  for (const row of results.size?.rows ?? []) {
    if (row.target === null) continue
    checks.push(
      checkTarget(
        `SDK size, min+gzip bytes: ${row.package}`,
        row.gzippedBytes,
        '<=',
        row.target,
        formatNumber(row.gzippedBytes),
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
  const scale = results.scale?.points ?? []
  const smallest = scale[0]
  const largest = scale[scale.length - 1]
  if (smallest !== undefined && largest !== undefined && largest !== smallest) {
    const growth = largest.refresh.p50Us / smallest.refresh.p50Us
    checks.push(
      checkTarget(
        `refresh p50 at ${formatNumber(largest.sessions)} / at ${formatNumber(smallest.sessions)} live sessions (flat)`,
        growth,
        '<=',
        1.5,
        formatRatio(growth),
      ),
    )
    const perSession = largest.bytesPerSession / smallest.bytesPerSession
    checks.push(
      checkTarget(
        `Redis bytes/session at ${formatNumber(largest.sessions)} / at ${formatNumber(smallest.sessions)} (linear)`,
        perSession,
        '<=',
        1.15,
        formatRatio(perSession),
      ),
    )
  }
  const perUser = results.perUser?.points ?? []
  const fewest = perUser[0]
  const most = perUser[perUser.length - 1]
  if (fewest !== undefined && most !== undefined && most !== fewest) {
    const flat = (label: string, ratio: number) =>
      checks.push(checkTarget(label, ratio, '<=', 1.5, formatRatio(ratio)))
    const span = `${most.sessionsPerUser} / ${fewest.sessionsPerUser} sessions per user (flat)`
    flat(`refresh p50 at ${span}`, most.refresh.p50Us / fewest.refresh.p50Us)
    flat(
      `store createSession (login) at ${span}`,
      most.storeCreateSessionUs / fewest.storeCreateSessionUs,
    )
    flat(`login median at ${span}`, most.loginMs.median / fewest.loginMs.median)
    checks.push(
      checkTarget(
        `sessions of a user after logins at the limit (${results.perUser?.maxSessionsPerUser})`,
        most.sessionsAfterLogins,
        '<=',
        results.perUser?.maxSessionsPerUser ?? 0,
        String(most.sessionsAfterLogins),
      ),
    )
  }
  for (const point of results.processes?.points ?? []) {
    checks.push(
      checkTarget(
        `refresh non-2xx, ${point.topology}, ${point.processes} process${point.processes === 1 ? '' : 'es'}`,
        point.non2xx,
        '<=',
        0,
        String(point.non2xx),
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
      if (scenario.id === 'koa-jwt' || scenario.id === 'naive-refresh') return 'to beat'
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
        'Redis cmd µs/resp',
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
        scenario.redisCommandUsPerResponse === null
          ? ''
          : formatNumber(scenario.redisCommandUsPerResponse, 1),
        cpuRatio(baselineCpu, scenario.figures.cpuPerRequestUs.server),
      ]),
      notes: [
        `server: ${server.serverEntry === null ? 'node packages/server/dist/main.js' : `A VARIANT ENTRY, ${server.serverEntry}`}, own process, NODE_ENV=production LOG_LEVEL=error; Redis: ${server.redis.source}${server.redis.passwordProtected ? ' (password-protected)' : ''}`,
        `baseline: ${server.baselineChoice}`,
        'Redis cmd µs/resp: the usec INFO commandstats gives the store commands of the scenario (EVALSHA/EVAL for the rotation script, which includes the commands it runs; GET+DEL+SET for the hand-written rotation) per 2xx response: Redis execution time without its network I/O, which Redis CPU µs/req includes',
        'to beat: a separate process running what users would otherwise write (bench/src/baselines/koa-baseline.ts): Koa + koa-jwt (jsonwebtoken, string secret) for /auth/me, and a GET/DEL/SET rotation of opaque tokens (three round trips, no reuse detection) for /auth/refresh; same Redis, connections and durations',
        'CPU µs/req: CPU time of the server process (/proc/<pid>/stat) and of Redis (INFO cpu) over the measured run, per response; unlike req/s it does not move when other processes take the cores. CPU vs baseline = baseline server CPU / this server CPU: the req/s ratio the server would reach if its own core were the only limit.',
        ...(pool === null
          ? []
          : [
              `refresh: ${formatNumber(pool.poolSize)} sessions pre-created through the Redis store in ${pool.poolCreateSeconds.toFixed(1)} s; ${formatNumber(pool.handedOut)} tokens handed out (warm-up included), each once; ${formatNumber(pool.rotatedInStore)} sessions rotated in the store, ${pool.rotatedTwice} rotated twice (grace hits impossible: no token sent twice)${pool.exhausted ? '; THE POOL RAN OUT: the non-2xx are requests sent past it' : ''}`,
            ]),
        `login: scrypt ${server.login.scrypt === null ? 'parameters unknown' : `N=${server.login.scrypt.N} (2^${Math.log2(server.login.scrypt.N)}), r=${server.login.scrypt.r}, p=${server.login.scrypt.p}`}, one user, every call a full password check and a new session; LOGIN_RATE_LIMIT, LOGIN_MAX_FAILURES and LOGIN_MAX_FAILURES_PER_ADDRESS 0 (off), so the limits in front of a login do not answer instead`,
        ...(server.cpuProfileDir === null
          ? []
          : [`server CPU profile written to ${server.cpuProfileDir}`]),
      ],
    })
  }

  for (const overhead of [results.overhead, results.overheadFetch]) {
    if (overhead === null) continue
    tables.push({
      title: `SDK overhead against ${overhead.floor} (${formatNumber(overhead.requestsPerClient)} sequential GET /auth/me per client, valid token, local server)`,
      header: [
        'client',
        'total ms',
        'µs/request',
        `vs ${overhead.floor}`,
        'median round ratio',
        'target <= 1.03',
      ],
      rows: overhead.rows.map((row, index) => [
        row.client,
        formatNumber(row.totalMs),
        formatNumber(row.perRequestUs),
        formatRatio(row.ratioToRaw),
        formatRatio(row.medianRoundRatio),
        index === 0
          ? 'floor'
          : !row.client.startsWith('refresh-kit')
            ? 'report only'
            : row.medianRoundRatio <= 1.03
              ? 'met'
              : 'MISSED',
      ]),
      notes: [
        `${overhead.rounds} rounds of ${Math.ceil(overhead.requestsPerClient / overhead.rounds)} requests, the clients' order rotating each round; each client warmed up first; all on Node's default keep-alive agent`,
        `judged on the median round ratio (each round timed against ${overhead.floor} in the same round), which a busy machine moves far less than the ratio of totals; both shown`,
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
        ['on, median', '', formatNumber(on.reqPerSec), '', '', cpu(on.serverCpuUs)],
        ['off, median', '', formatNumber(off.reqPerSec), '', '', cpu(off.serverCpuUs)],
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
      header: ['entry', 'version', 'minified bytes', 'min+gzip bytes', 'target', 'verdict'],
      rows: size.rows.map((row) => [
        row.package,
        row.version,
        formatNumber(row.minifiedBytes),
        formatNumber(row.gzippedBytes),
        row.target === null ? '' : `<= ${formatNumber(row.target)}`,
        row.target === null ? 'report only' : row.gzippedBytes <= row.target ? 'met' : 'MISSED',
      ]),
      notes: [size.method],
    })
  }

  const scale = results.scale
  if (scale !== null) {
    tables.push({
      title: `Cost curve: live sessions (${scale.sessionsPerUser} sessions per user, one server process, dedicated Redis)`,
      header: [
        'live sessions',
        'users',
        'used_memory MiB',
        'bytes/session',
        'refresh req/s',
        'p50 µs',
        'p99 µs',
        'non-2xx',
        'server CPU µs/req',
      ],
      rows: scale.points.map((point) => [
        formatNumber(point.sessions),
        formatNumber(point.users),
        formatNumber(point.usedMemoryBytes / 2 ** 20, 1),
        formatNumber(point.bytesPerSession, 1),
        formatNumber(point.refresh.reqPerSec),
        formatNumber(point.refresh.p50Us),
        formatNumber(point.refresh.p99Us),
        formatNumber(point.refresh.non2xx),
        formatMaybe(point.refresh.serverCpuUs),
      ]),
      notes: [
        `sessions written ${scale.points[0]?.writeMethod === 'direct' ? "directly in the store key layout (pipelined HSET of each user's packed session records, user hash, username index), checked by reading one back through the store" : 'through store.createSession'}; used_memory over the empty Redis, users' records included (no user agent)`,
        `refresh load over a uniform sample of up to ${formatNumber(scale.poolSize)} of the live sessions, every request a real rotation; latency from each 2xx response's own time`,
      ],
    })
  }

  const perUser = results.perUser
  if (perUser !== null) {
    tables.push({
      title: `Cost curve: sessions per user (MAX_SESSIONS_PER_USER=${perUser.maxSessionsPerUser})`,
      header: [
        'sessions/user',
        'refresh req/s',
        'refresh p50 µs',
        'refresh p99 µs',
        'store rotate µs',
        'store createSession µs',
        'login median ms',
        'login max ms',
        'sessions after logins',
      ],
      rows: perUser.points.map((point) => [
        formatNumber(point.sessionsPerUser),
        formatNumber(point.refresh.reqPerSec),
        formatNumber(point.refresh.p50Us),
        formatNumber(point.refresh.p99Us),
        formatNumber(point.storeRotateUs),
        formatNumber(point.storeCreateSessionUs),
        formatNumber(point.loginMs.median),
        formatNumber(point.loginMs.max),
        formatNumber(point.sessionsAfterLogins),
      ]),
      notes: [
        'refresh: HTTP load over users who each hold that many sessions; store rotate / createSession: medians of 200 calls from the bench process (round trip included, no scrypt), on a user holding that many sessions',
        `login: ${perUser.points[0]?.loginMs.samples ?? 0} sequential HTTP logins (scrypt included) of a user already holding that many sessions; each adds one, or evicts the least recently used at the limit`,
      ],
    })
  }

  const processes = results.processes
  if (processes !== null) {
    tables.push({
      title: `Cost curve: aggregate refresh throughput (${processes.connectionsPerProcess} connections per process)`,
      header: ['Redis', 'server processes', 'refresh/s (sum)', 'p50 µs', 'p99 µs', 'non-2xx'],
      rows: processes.points.map((point) => [
        point.topology,
        String(point.processes),
        formatNumber(point.reqPerSec),
        formatNumber(point.p50Us),
        formatNumber(point.p99Us),
        formatNumber(point.non2xx),
      ]),
      notes: [
        `${formatNumber(processes.poolSize)} sessions; one autocannon per process in the bench process, tokens from one pool; p50/p99: the highest of the processes`,
        'on a 2-core machine the processes, Redis and the load generator share the same two cores: the second process shows what the cores allow, not what a second machine would add',
      ],
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
