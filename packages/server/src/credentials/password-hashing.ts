import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from 'node:crypto'
import { checkOptions, integerRule } from '../lib/options.js'

/**
 * The default scrypt parameters: OWASP's minimum for scrypt (Password Storage Cheat Sheet:
 * N=2^17, r=8, p=1). Each hash holds `128 * cost * blockSize` bytes, 128 MiB, while it runs.
 */
export const DEFAULT_SCRYPT_PARAMETERS = {
  cost: 2 ** 17,
  blockSize: 8,
  parallelization: 1,
} as const

/** The memory one hash at the default parameters holds while it runs, in bytes (128 MiB). */
export const DEFAULT_SCRYPT_MEMORY_BYTES =
  128 * DEFAULT_SCRYPT_PARAMETERS.cost * DEFAULT_SCRYPT_PARAMETERS.blockSize

/** Options of {@link createPasswordHasher}; the defaults follow OWASP's scrypt guidance. */
export interface PasswordHasherOptions {
  /** scrypt CPU/memory cost, a power of two. @default 131072 (2^17) */
  cost?: number
  /** scrypt block size. @default 8 */
  blockSize?: number
  /** scrypt parallelization. @default 1 */
  parallelization?: number
  /** Salt length in bytes. @default 16 */
  saltBytes?: number
  /** Derived key length in bytes. @default 32 */
  keyBytes?: number
}

/** Hashes and verifies passwords. */
export interface PasswordHasher {
  /** `scrypt$N$r$p$salt$hash`, salt and hash in base64url. */
  hash(password: string): Promise<string>
  /** Whether `password` matches `encoded`; a malformed `encoded` is a mismatch. */
  verify(password: string, encoded: string): Promise<boolean>
  /**
   * Spends the same work as verifying against a real hash, and returns `false`: so that an
   * unknown username costs what a wrong password costs.
   */
  verifyNothing(password: string): Promise<false>
  /**
   * Whether `encoded` is weaker than what `hash` makes now (a smaller N, r or p, a shorter
   * salt or key) or cannot be read: after a successful `verify`, store `hash(password)` in
   * its place when this says so, and the account moves to the current parameters. Optional,
   * so a hasher of your own keeps working: one without it is never asked to rehash.
   *
   * @example
   * ```ts
   * if (passwords.needsRehash?.(user.passwordHash)) user.passwordHash = await passwords.hash(password)
   * ```
   */
  needsRehash?(encoded: string): boolean
}

const ENCODED =
  /^scrypt\$(\d{1,10})\$(\d{1,4})\$(\d{1,4})\$([A-Za-z0-9_-]{1,128})\$([A-Za-z0-9_-]{1,256})$/
// Hashes from storage are never trusted to set an unbounded cost.
const MAX_COST = 2 ** 20

function derive(password: string, salt: Buffer, keyBytes: number, params: ScryptOptions) {
  const N = params.N ?? 0
  const r = params.r ?? 0
  const p = params.p ?? 0
  // scrypt needs 128 * r * (N + p + 2) bytes, 128 MiB and a little at N=2^17, r=8, and
  // refuses above maxmem (32 MiB by default): allow what the parameters need, plus room.
  const maxmem = 128 * N * r * p + 16 * 1024 * 1024
  return new Promise<Buffer>((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, keyBytes, { N, r, p, maxmem }, (error, key) =>
      error === null ? resolve(key) : reject(error),
    )
  })
}

/**
 * Password hashing with `crypto.scrypt`: salted, parameters recorded with the hash so they
 * can be raised later, and constant-time comparison.
 *
 * @example
 * ```ts
 * const passwords = createPasswordHasher({ cost: 2 ** 10 }) // cheap, for tests only
 * const encoded = await passwords.hash('correct horse')
 * await passwords.verify('correct horse', encoded) // true
 * ```
 */
export function createPasswordHasher(options: PasswordHasherOptions = {}): PasswordHasher {
  const { cost, blockSize, parallelization, saltBytes, keyBytes } = checkOptions(
    'createPasswordHasher',
    {
      cost: options.cost ?? DEFAULT_SCRYPT_PARAMETERS.cost,
      blockSize: options.blockSize ?? DEFAULT_SCRYPT_PARAMETERS.blockSize,
      parallelization: options.parallelization ?? DEFAULT_SCRYPT_PARAMETERS.parallelization,
      saltBytes: options.saltBytes ?? 16,
      keyBytes: options.keyBytes ?? 32,
    },
    {
      cost: integerRule(2, MAX_COST),
      blockSize: integerRule(1, 64),
      parallelization: integerRule(1, 16),
      saltBytes: integerRule(16, 64),
      keyBytes: integerRule(16, 128),
    },
  )
  if ((cost & (cost - 1)) !== 0) {
    throw new TypeError('createPasswordHasher: options.cost must be a power of two')
  }
  const params = { N: cost, r: blockSize, p: parallelization }

  const hash = async (password: string) => {
    const salt = randomBytes(saltBytes)
    const key = await derive(password, salt, keyBytes, params)
    return `scrypt$${cost}$${blockSize}$${parallelization}$${salt.toString('base64url')}$${key.toString('base64url')}`
  }
  let dummy: Promise<string> | undefined

  const verify = async (password: string, encoded: string) => {
    const match = ENCODED.exec(encoded)
    if (match === null) return false
    const [, N = '', r = '', p = '', salt = '', expected = ''] = match
    const n = Number(N)
    if (n < 2 || n > MAX_COST || (n & (n - 1)) !== 0) return false
    if (Number(r) < 1 || Number(p) < 1 || Number(r) * Number(p) >= 2 ** 30) return false
    const expectedKey = Buffer.from(expected, 'base64url')
    const key = await derive(password, Buffer.from(salt, 'base64url'), expectedKey.length, {
      N: n,
      r: Number(r),
      p: Number(p),
    })
    return key.length === expectedKey.length && timingSafeEqual(key, expectedKey)
  }

  return {
    hash,
    verify,
    async verifyNothing(password) {
      dummy ??= hash('refresh-kit dummy password')
      await verify(password, await dummy)
      return false
    },
    needsRehash(encoded) {
      const match = ENCODED.exec(encoded)
      if (match === null) return true
      const [, N = '', r = '', p = '', salt = '', key = ''] = match
      return (
        Number(N) < cost ||
        Number(r) < blockSize ||
        Number(p) < parallelization ||
        Buffer.from(salt, 'base64url').length < saltBytes ||
        Buffer.from(key, 'base64url').length < keyBytes
      )
    },
  }
}
