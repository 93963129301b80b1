import { type ChildProcess, spawn } from 'node:child_process'
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { inject } from 'vitest'
import type { PackedPackage } from '../setup/pack.js'

/** What a finished command left behind. */
export interface RunResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/** Options of {@link run}. */
export interface RunOptions {
  cwd: string
  env?: NodeJS.ProcessEnv
  /** Killed (SIGKILL) after this long. @default 300_000 */
  timeoutMs?: number
}

/**
 * Runs a command to its end and collects its output; never throws on a non-zero exit.
 *
 * @example
 * ```ts
 * const { code, stdout } = await run('node', ['main.mjs'], { cwd })
 * ```
 */
export function run(command: string, args: string[], options: RunOptions): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: { ...cleanEnv(), ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString()
    })
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 300_000)
    child.once('error', reject)
    child.once('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout, stderr })
    })
  })
}

/**
 * The environment of the user's shell, without what pnpm and vitest add for the workspace:
 * the projects must resolve nothing through the workspace, and npm must not read pnpm's
 * settings.
 */
export function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [name, value] of Object.entries(process.env)) {
    // What pnpm sets for a script is lowercase (npm_config_*, npm_package_*); a registry the
    // user chose (NPM_CONFIG_REGISTRY, npm_config_registry) still applies.
    if (name === 'npm_config_registry') {
      env[name] = value
      continue
    }
    if (/^(npm_|pnpm_|PNPM_|VITEST|TURBO_|NODE_OPTIONS$|NODE_PATH$|TS_NODE)/.test(name)) continue
    env[name] = value
  }
  env.PATH = (process.env.PATH ?? '')
    .split(':')
    .filter((dir) => !dir.includes('node_modules'))
    .join(':')
  return env
}

/** The packed packages of this run. */
export function packedPackages(): PackedPackage[] {
  return inject('packedPackages')
}

/** The packed package named `name`, which the run must have. */
export function packed(name: string): PackedPackage {
  const found = packedPackages().find((pkg) => pkg.name === name)
  if (found === undefined) throw new Error(`${name} was not packed`)
  return found
}

/** Options of {@link createProject}. */
export interface ProjectOptions {
  /** The packed packages to install from their tarballs. */
  packages: PackedPackage[]
  /** Other dependencies, from the registry, as `name: range`. */
  registry?: Record<string, string>
  /** package.json `type`. @default 'module' */
  type?: 'module' | 'commonjs'
  /** A folder under `consumer/fixtures` whose files are copied into the project. */
  fixtures?: string
}

/** A fresh npm project in the system's temporary directory. */
export interface Project {
  dir: string
  install: RunResult
  /** Deletes the project's directory. */
  remove(): void
}

/**
 * Creates a project outside the workspace and installs the tarballs there with plain npm.
 * npm `overrides` pin every packed package to its tarball, so a dependency between them (the
 * server's on `@refresh-kit/shared`) resolves to the local tarball, never to the registry.
 * Call `remove()` when done (in `afterAll`).
 */
export async function createProject(label: string, options: ProjectOptions): Promise<Project> {
  const dir = mkdtempSync(join(tmpdir(), `refresh-kit-consumer-${label}-`))
  const remove = () => rmSync(dir, { recursive: true, force: true })
  if (options.fixtures !== undefined) {
    cpSync(new URL(`../../fixtures/${options.fixtures}/`, import.meta.url), dir, {
      recursive: true,
    })
  }
  const all = packedPackages()
  const local = Object.fromEntries(all.map((pkg) => [pkg.name, `file:${pkg.tarball}`]))
  const dependencies = {
    ...Object.fromEntries(options.packages.map((pkg) => [pkg.name, `file:${pkg.tarball}`])),
    ...options.registry,
  }
  writeFileSync(
    join(dir, 'package.json'),
    `${JSON.stringify(
      {
        name: `refresh-kit-consumer-${label}`,
        version: '1.0.0',
        private: true,
        type: options.type ?? 'module',
        dependencies,
        overrides: local,
      },
      null,
      2,
    )}\n`,
  )
  const install = await run(
    'npm',
    ['install', '--no-audit', '--no-fund', '--no-package-lock', '--loglevel=error'],
    { cwd: dir, timeoutMs: 480_000 },
  )
  if (install.code !== 0) {
    remove()
    throw new Error(`npm install failed in ${label}:\n${install.stdout}\n${install.stderr}`)
  }
  return { dir, install, remove }
}

/** A process started by {@link startProcess}, with what it printed so far. */
export interface StartedProcess {
  child: ChildProcess
  output(): string
  /** Resolves with the exit code and signal once the process has ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  /** Sends SIGTERM (then SIGKILL after 15 s), to the group with `group: true`, and waits for the end. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  /**
   * Sends SIGINT to the whole process group, as Ctrl-C in a terminal does, and waits for the
   * end (SIGKILL to the group after 15 s). Needs `group: true`.
   */
  interrupt(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

/**
 * Starts a long-running command and waits until its output matches `ready`; rejects with the
 * output when it exits first or takes longer than `timeoutMs`.
 */
export async function startProcess(
  command: string,
  args: string[],
  options: RunOptions & { ready: RegExp; group?: boolean },
): Promise<StartedProcess & { match: RegExpMatchArray }> {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: { ...cleanEnv(), ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, like a command started from a terminal.
    detached: options.group === true,
  })
  // With a group of its own, a signal goes to the whole group: npx runs its command through a
  // shell that would not pass it on, leaving the server behind.
  const signalAll = (signal: NodeJS.Signals) => {
    if (options.group === true && child.pid !== undefined) process.kill(-child.pid, signal)
    else child.kill(signal)
  }
  let output = ''
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  )
  const match = await new Promise<RegExpMatchArray>((resolve, reject) => {
    const timer = setTimeout(() => {
      signalAll('SIGKILL')
      reject(new Error(`${command} ${args.join(' ')} was not ready in time:\n${output}`))
    }, options.timeoutMs ?? 120_000)
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      const found = output.match(options.ready)
      if (found !== null) {
        clearTimeout(timer)
        resolve(found)
      }
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)
    void exited.then(({ code, signal }) => {
      clearTimeout(timer)
      reject(new Error(`${command} ${args.join(' ')} ended (${code ?? signal}):\n${output}`))
    })
  })
  const end = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) {
      signalAll(signal)
      const timer = setTimeout(() => signalAll('SIGKILL'), 15_000)
      const result = await exited
      clearTimeout(timer)
      return result
    }
    return exited
  }
  const stop = () => end('SIGTERM')
  const interrupt = () => {
    if (options.group !== true) throw new Error('interrupt() needs group: true')
    return end('SIGINT')
  }
  return { child, output: () => output, exited, stop, interrupt, match }
}
