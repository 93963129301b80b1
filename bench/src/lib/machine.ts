import { cpus, loadavg, totalmem } from 'node:os'

/** The machine a run was measured on. */
export interface MachineInfo {
  cores: number
  cpuModel: string
  node: string
  platform: string
  totalMemoryGiB: number
  /** 1, 5 and 15 minute load averages when the run started. */
  loadAverageAtStart: readonly number[]
}

/**
 * Describes this machine for the report: figures mean little without it.
 *
 * @example
 * ```ts
 * const machine = describeMachine() // { cores: 2, cpuModel: 'AMD EPYC', node: 'v20.20.2', ... }
 * ```
 */
export function describeMachine(): MachineInfo {
  const list = cpus()
  return {
    cores: list.length,
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    totalMemoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    loadAverageAtStart: loadavg().map((value) => Math.round(value * 100) / 100),
  }
}
