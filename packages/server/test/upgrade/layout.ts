import type { Cluster, Redis } from 'ioredis'

/** One key as a release wrote it, named without the key prefix. */
export type RecordedKey =
  | { key: string; type: 'string'; pttl: number; value: string }
  | { key: string; type: 'hash'; pttl: number; value: Record<string, string> }

/** What `record-layout.ts` writes: a release's Redis data after a known sequence of calls. */
export interface RecordedLayout {
  /** The server version that wrote it. */
  version: string
  /** When the recorded data was read, in milliseconds since the epoch. */
  recordedAt: number
  userId: string
  sessions: {
    /** Logged in with `RECORDING_USER_AGENT`, never refreshed (generation 0). */
    browser: { id: string; refreshToken: string }
    /** Logged in without a user agent, then refreshed once (generation 1). */
    rotated: { id: string; refreshToken: string; previousRefreshToken: string }
  }
  keys: RecordedKey[]
}

/** The keys of the recordings: test values, never used anywhere else. */
export const RECORDING_SECRETS = {
  jwtSecret: 'recorded-layout-jwt-secret-never-used-in-production',
  refreshTokenSecret: 'recorded-layout-refresh-secret-never-used-in-production',
} as const

/** The user every recording registers. */
export const RECORDING_CREDENTIALS = { username: 'ada', password: 'correct horse battery' } as const

/** The user agent of the recorded browser session. */
export const RECORDING_USER_AGENT =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36'

/**
 * How the times inside a release's values move when its recording is replayed `shiftMs`
 * later, so a session recorded months ago is as fresh as it was when recorded. Keys and TTLs
 * never hold absolute times. One entry per recorded release.
 */
const TIME_SHIFTS: Record<string, (entry: RecordedKey, shiftMs: number) => RecordedKey> = {
  // 0.1.0: a user hash `{u:<id>}:u` holds `c`, created at (ms), and `x`, when the username
  // index was last renewed (Redis TIME, s); a sessions hash `{u:<id>}:s` maps each session id
  // to a packed record `g:c:l:a:i:r` in base 36 whose second part, `c`, is the creation time
  // (ms) and whose later parts are offsets from it.
  '0.1.0': (entry, shiftMs) => {
    if (entry.type !== 'hash') return entry
    if (entry.key.endsWith(':u')) {
      const value = { ...entry.value }
      if (value.c !== undefined) value.c = String(Number(value.c) + shiftMs)
      if (value.x !== undefined) value.x = String(Number(value.x) + Math.round(shiftMs / 1000))
      return { ...entry, value }
    }
    if (entry.key.endsWith(':s')) {
      const value = Object.fromEntries(
        Object.entries(entry.value).map(([id, packed]) => {
          const parts = packed.split(':')
          const createdAt = Number.parseInt(parts[1] ?? '', 36)
          parts[1] = (createdAt + shiftMs).toString(36)
          return [id, parts.join(':')]
        }),
      )
      return { ...entry, value }
    }
    return entry
  },
}

/**
 * Writes a recorded layout under `keyPrefix` exactly as its release wrote it (values and
 * TTLs), with its times moved to `now` as if it had been recorded just now.
 */
export async function writeRecordedLayout(
  redis: Redis | Cluster,
  layout: RecordedLayout,
  options: { keyPrefix: string; now: number },
): Promise<void> {
  const shift = TIME_SHIFTS[layout.version]
  if (shift === undefined) throw new Error(`no time shift is known for layout ${layout.version}`)
  for (const recorded of layout.keys) {
    const entry = shift(recorded, options.now - layout.recordedAt)
    const key = `${options.keyPrefix}${entry.key}`
    if (entry.type === 'string') await redis.set(key, entry.value)
    else await redis.hset(key, entry.value)
    if (entry.pttl > 0) await redis.pexpire(key, entry.pttl)
  }
}
