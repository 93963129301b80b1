import type { MachineInfo } from '../lib/machine.js'
import type { PerUserResult, ProcessesResult, ScaleResult } from '../sections/curves.js'
import type { RevocationResult } from '../sections/revocation.js'
import type { BurstResult } from '../sections/sdk-burst.js'
import type { OverheadResult } from '../sections/sdk-overhead.js'
import type { SizeResult } from '../sections/sdk-size.js'
import type { ServerResult } from '../sections/server-throughput.js'
import type { MemoryResult } from '../sections/store-memory.js'
import type { TargetCheck } from './targets.js'

/** Everything one run measured: what `results/latest.json` holds. */
export interface BenchResults {
  /** ISO 8601 time the run started. */
  date: string
  command: string
  /** `BENCH_*` variables that shaped the run. */
  settings: Record<string, string>
  machine: MachineInfo
  loadAverageAtEnd: readonly number[]
  wallSeconds: number
  size: SizeResult | null
  overhead: OverheadResult | null
  /** The fetch entry against raw fetch, measured the same way. */
  overheadFetch: OverheadResult | null
  burst: BurstResult | null
  memory: MemoryResult | null
  server: ServerResult | null
  revocation: RevocationResult | null
  scale: ScaleResult | null
  perUser: PerUserResult | null
  processes: ProcessesResult | null
  /** The SVG plots written beside the JSON, relative to it. */
  plots: string[]
  targets: TargetCheck[]
}
