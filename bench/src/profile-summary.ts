import { readFile } from 'node:fs/promises'

/** The parts of a V8 `.cpuprofile` (as `node --cpu-prof` writes it) that a summary needs. */
interface CpuProfile {
  nodes: {
    id: number
    callFrame: { functionName: string; url: string; lineNumber: number }
    hitCount?: number
    children?: number[]
  }[]
  startTime: number
  endTime: number
  samples?: number[]
  timeDeltas?: number[]
}

/** Where a frame's code comes from: a package, the server, or Node itself. */
function origin(url: string): string {
  if (url === '') return '(native/V8)'
  if (url.startsWith('node:')) return 'node core'
  const pkg = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(url)
  if (pkg?.[1] !== undefined) return pkg[1]
  const own = /packages\/([^/]+)\//.exec(url)
  if (own?.[1] !== undefined) return `@refresh-kit/${own[1]}`
  return url
}

function shortUrl(url: string): string {
  const pnpm = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?(.*)$/.exec(url)
  if (pnpm?.[1] !== undefined) return pnpm[1]
  const own = /(packages\/.*)$/.exec(url)
  return own?.[1] ?? url
}

function table(title: string, entries: [string, number][], total: number, limit: number): string {
  const lines = [`## ${title}`, '   self %  self ms  frame']
  for (const [name, hits] of entries.sort((a, b) => b[1] - a[1]).slice(0, limit)) {
    const share = ((hits / total) * 100).toFixed(1).padStart(8)
    lines.push(`${share}  ${String(Math.round(hits)).padStart(7)}  ${name}`)
  }
  return lines.join('\n')
}

/** Busy (not idle) milliseconds in each second of the profile: shows where each load phase was. */
function timeline(profile: CpuProfile): string {
  const samples = profile.samples ?? []
  const deltas = profile.timeDeltas ?? []
  const idle = new Set(
    profile.nodes.filter((node) => node.callFrame.functionName === '(idle)').map((node) => node.id),
  )
  const busy: number[] = []
  let at = 0
  for (let i = 0; i < samples.length; i++) {
    const delta = deltas[i] ?? 0
    at += delta
    const second = Math.floor(at / 1e6)
    busy[second] ??= 0
    if (!idle.has(samples[i] ?? -1)) busy[second] = (busy[second] ?? 0) + delta / 1000
  }
  const cells = busy.map((ms, second) => `${second}s:${Math.round(ms ?? 0)}`)
  return `## busy ms in each second\n${cells.join(' ')}`
}

/**
 * Prints where a server spent its CPU: the top functions by self time and the same time
 * summed by package, from a `.cpuprofile` of `node --cpu-prof`.
 *
 * @example
 * ```sh
 * pnpm --filter @refresh-kit/bench profile:summary --from 10 --to 16 /tmp/prof/CPU.*.cpuprofile
 * ```
 */
async function main(args: string[]): Promise<void> {
  const files: string[] = []
  let from = 0
  let to = Number.POSITIVE_INFINITY
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? ''
    if (arg === '--from') from = Number(args[++i])
    else if (arg === '--to') to = Number(args[++i])
    else files.push(arg)
  }
  if (files.length === 0 || Number.isNaN(from) || Number.isNaN(to)) {
    throw new TypeError('usage: profile-summary [--from s] [--to s] <file.cpuprofile>...')
  }
  for (const file of files) {
    const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile
    // Hits per node from the samples inside the window (seconds from the profile's start).
    const hitsById = new Map<number, number>()
    const samples = profile.samples ?? []
    const deltas = profile.timeDeltas ?? []
    let at = 0
    let windowUs = 0
    for (let i = 0; i < samples.length; i++) {
      const delta = deltas[i] ?? 0
      at += delta
      if (at / 1e6 < from || at / 1e6 >= to) continue
      windowUs += delta
      const id = samples[i] ?? -1
      hitsById.set(id, (hitsById.get(id) ?? 0) + 1)
    }
    const totalHits = [...hitsById.values()].reduce((sum, hits) => sum + hits, 0)
    const msPerHit = windowUs / 1000 / Math.max(1, totalHits)
    const byFrame = new Map<string, number>()
    const byOrigin = new Map<string, number>()
    for (const node of profile.nodes) {
      const hits = hitsById.get(node.id) ?? 0
      if (hits === 0) continue
      const { functionName, url, lineNumber } = node.callFrame
      const frame = `${functionName || '(anonymous)'} ${url === '' ? '' : `${shortUrl(url)}:${lineNumber + 1}`}`
      byFrame.set(frame, (byFrame.get(frame) ?? 0) + hits * msPerHit)
      const source = functionName === '(idle)' ? '(idle)' : origin(url)
      byOrigin.set(source, (byOrigin.get(source) ?? 0) + hits * msPerHit)
    }
    // Inclusive time: each node's hits count once for every distinct frame on its stack.
    const parent = new Map<number, number>()
    for (const node of profile.nodes) {
      for (const child of node.children ?? []) parent.set(child, node.id)
    }
    const byId = new Map(profile.nodes.map((node) => [node.id, node]))
    const inclusive = new Map<string, number>()
    for (const node of profile.nodes) {
      const hits = hitsById.get(node.id) ?? 0
      if (hits === 0 || node.callFrame.functionName === '(idle)') continue
      const seen = new Set<string>()
      for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
        const frame = byId.get(id)?.callFrame
        if (frame === undefined || frame.url === '' || frame.url.startsWith('node:')) continue
        const key = `${frame.functionName || '(anonymous)'} ${shortUrl(frame.url)}:${frame.lineNumber + 1}`
        if (seen.has(key)) continue
        seen.add(key)
        inclusive.set(key, (inclusive.get(key) ?? 0) + hits * msPerHit)
      }
    }
    const totalMs = totalHits * msPerHit
    const busyMs = totalMs - (byOrigin.get('(idle)') ?? 0)
    const window =
      to === Number.POSITIVE_INFINITY && from === 0 ? 'whole profile' : `${from}-${to} s`
    process.stdout.write(
      `# ${file} (${window})\n${Math.round(totalMs)} ms sampled, ${Math.round(busyMs)} ms busy\n\n`,
    )
    process.stdout.write(`${timeline(profile)}\n\n`)
    process.stdout.write(`${table('self time by function', [...byFrame], totalMs, 30)}\n\n`)
    process.stdout.write(`${table('self time by origin', [...byOrigin], totalMs, 20)}\n\n`)
    const own = [...inclusive].filter(
      ([key]) => key.includes('packages/') || key.includes('jsonwebtoken'),
    )
    process.stdout.write(
      `${table('inclusive time, refresh-kit and jsonwebtoken frames', own, totalMs, 25)}\n\n`,
    )
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`)
  process.exit(1)
})
