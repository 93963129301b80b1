import type { BenchResults } from './results.js'
import { type Plot, renderSvg } from './svg.js'

/** One SVG file of a run: its name (the part after the JSON's base name) and its text. */
export interface PlotFile {
  name: string
  svg: string
}

/**
 * The cost curves of a run as SVG line plots: refresh latency and Redis memory against live
 * sessions, login and refresh time against a user's sessions, aggregate refresh throughput
 * against server processes. Sections that did not run draw nothing.
 *
 * @example
 * ```ts
 * for (const plot of buildPlots(results)) await writeFile(`results/latest-${plot.name}.svg`, plot.svg)
 * ```
 */
export function buildPlots(results: Omit<BenchResults, 'targets' | 'plots'>): PlotFile[] {
  const plots: [string, Plot][] = []
  const scale = results.scale
  if (scale !== null && scale.points.length > 0) {
    plots.push([
      'scale-refresh-latency',
      {
        title: 'POST /auth/refresh latency against live sessions',
        xLabel: 'live sessions in Redis',
        yLabel: 'latency, µs',
        logX: true,
        series: [
          { name: 'p50', points: scale.points.map((p) => [p.sessions, p.refresh.p50Us]) },
          { name: 'p99', points: scale.points.map((p) => [p.sessions, p.refresh.p99Us]) },
        ],
      },
    ])
    plots.push([
      'scale-redis-memory',
      {
        title: 'Redis used_memory against live sessions',
        xLabel: 'live sessions in Redis',
        yLabel: 'used_memory, MiB',
        series: [
          {
            name: 'used_memory',
            points: scale.points.map((p) => [p.sessions, p.usedMemoryBytes / 2 ** 20]),
          },
        ],
      },
    ])
  }
  const perUser = results.perUser
  if (perUser !== null && perUser.points.length > 0) {
    plots.push([
      'per-user-refresh',
      {
        title: "Refresh time against a user's sessions",
        xLabel: 'sessions per user',
        yLabel: 'µs',
        series: [
          {
            name: 'HTTP refresh p50',
            points: perUser.points.map((p) => [p.sessionsPerUser, p.refresh.p50Us]),
          },
          {
            name: 'HTTP refresh p99',
            points: perUser.points.map((p) => [p.sessionsPerUser, p.refresh.p99Us]),
          },
          {
            name: 'store rotate',
            points: perUser.points.map((p) => [p.sessionsPerUser, p.storeRotateUs]),
          },
          {
            name: 'store createSession',
            points: perUser.points.map((p) => [p.sessionsPerUser, p.storeCreateSessionUs]),
          },
        ],
      },
    ])
    plots.push([
      'per-user-login',
      {
        title: "Login time (scrypt included) against a user's sessions",
        xLabel: 'sessions per user',
        yLabel: 'ms',
        series: [
          {
            name: 'login median',
            points: perUser.points.map((p) => [p.sessionsPerUser, p.loginMs.median]),
          },
          {
            name: 'login max',
            points: perUser.points.map((p) => [p.sessionsPerUser, p.loginMs.max]),
          },
        ],
      },
    ])
  }
  const processes = results.processes
  if (processes !== null && processes.points.length > 0) {
    const topologies = [...new Set(processes.points.map((p) => p.topology))]
    plots.push([
      'processes-refresh-throughput',
      {
        title: 'Aggregate refresh throughput against server processes',
        xLabel: 'server processes',
        yLabel: 'refreshes per second',
        series: topologies.map((topology) => ({
          name: topology,
          points: processes.points
            .filter((p) => p.topology === topology)
            .map((p) => [p.processes, p.reqPerSec] as const),
        })),
      },
    ])
  }
  return plots.map(([name, plot]) => ({ name, svg: renderSvg(plot) }))
}
