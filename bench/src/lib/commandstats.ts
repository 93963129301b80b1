import type { Cluster, Redis } from 'ioredis'

/** Calls and microseconds of each command, as `INFO commandstats` counts them. */
export type CommandStats = Record<string, { calls: number; usec: number }>

/**
 * Reads `INFO commandstats` of one Redis (or of every master of a cluster, summed). Redis
 * times each command itself, without the network I/O around it; a script's `usec` includes
 * the commands it ran, which are counted again under their own names.
 *
 * @example
 * ```ts
 * const before = await readCommandStats(redis)
 * ```
 */
export async function readCommandStats(redis: Redis | Cluster): Promise<CommandStats> {
  const nodes: Redis[] = redis.isCluster ? (redis as Cluster).nodes('master') : [redis as Redis]
  const stats: CommandStats = {}
  for (const node of nodes) {
    const info = await node.info('commandstats')
    for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/gm)) {
      const name = match[1] ?? ''
      const entry = stats[name] ?? { calls: 0, usec: 0 }
      entry.calls += Number(match[2])
      entry.usec += Number(match[3])
      stats[name] = entry
    }
  }
  return stats
}

/** What ran between two readings, command by command (commands that did not run are left out). */
export function commandStatsDelta(before: CommandStats, after: CommandStats): CommandStats {
  const delta: CommandStats = {}
  for (const [name, entry] of Object.entries(after)) {
    const calls = entry.calls - (before[name]?.calls ?? 0)
    if (calls > 0) delta[name] = { calls, usec: entry.usec - (before[name]?.usec ?? 0) }
  }
  return delta
}

/** The summed `usec` of `commands` in a delta. */
export function usecOf(delta: CommandStats, commands: readonly string[]): number {
  return commands.reduce((sum, name) => sum + (delta[name]?.usec ?? 0), 0)
}
