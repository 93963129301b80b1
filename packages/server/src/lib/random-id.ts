import { randomFillSync } from 'node:crypto'

const ID_BYTES = 16
const POOL_BYTES = 4096

// One pool per process (and per worker thread, which loads its own copy of this module).
// That is safe because the pool only ever moves forward: each id takes the next 16 bytes
// and advances past them before anything else can run, and the whole pool is refilled from
// the CSPRNG once it is used up, so no two ids share a byte. Node never forks a running
// process (cluster workers start fresh and fill their own pool), so no copy of an unused
// pool can hand the same bytes out twice. Filling 4 KiB at a time is what makes this cheap:
// one `randomFillSync` per 256 ids instead of one per id, as `crypto.randomUUID` does.
const pool = Buffer.allocUnsafeSlow(POOL_BYTES)
let offset = POOL_BYTES

/**
 * 128 random bits as base64url (22 characters): user, session and token ids. The bits come
 * from the CSPRNG through a per-process pool, each byte used once.
 *
 * @example
 * ```ts
 * const sessionId = randomId() // e.g. 'q3Jx0b6y9V2mQy0D4o1K2g'
 * ```
 */
export function randomId(): string {
  if (offset + ID_BYTES > POOL_BYTES) {
    randomFillSync(pool)
    offset = 0
  }
  const start = offset
  offset += ID_BYTES
  return pool.toString('base64url', start, start + ID_BYTES)
}

/** The shape of {@link randomId}'s output, for strict parsing. */
export const RANDOM_ID_PATTERN = '[A-Za-z0-9_-]{22}'
