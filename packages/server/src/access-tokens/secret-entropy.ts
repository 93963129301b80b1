/**
 * Fewest estimated bits (see {@link estimateSecretBits}) a secret must carry where
 * `NODE_ENV=production`: 80, the security strength NIST stopped accepting for keys years ago
 * (SP 800-131A). A secret estimated below it is a pattern, not a key. Random secrets stay far
 * above it: 32 random bytes in base64 or hex are estimated at 180 bits or more, even 16
 * random bytes written as 32 hex characters at about 90 to 128.
 *
 * @example
 * ```ts
 * if (estimateSecretBits(secret) < MIN_SECRET_ENTROPY_BITS) throw new Error('JWT_SECRET is a pattern')
 * ```
 */
export const MIN_SECRET_ENTROPY_BITS = 80

// A repeat shorter than this is as likely in a random secret as in a made-up one.
const MIN_REPEAT = 3
// Long enough for any key; bounds the quadratic search for repeats.
const MAX_EXAMINED = 1024

/**
 * An estimate of a secret's entropy, in bits, that a secret drawn from a random source
 * reaches and a made-up one does not: every character a reader could not predict from the
 * ones before it counts `log2(pool)` bits, the pool being the characters its kind of text
 * chooses from (16 for hex; else 10 for digits, 26 for each case of letters, 33 for ASCII
 * punctuation and space, added up for the classes it uses). Predictable are the characters
 * of a repeat of three or more seen earlier (`changeme` written six times is worth one
 * `changeme`; a short alphabet repeats itself soon, so `0110…` is worth little) and those
 * continuing a run of steady step -1, 0 or +1 (`aaaa`, `abcd`, `4321`). It knows no words:
 * for a passphrase it is an upper bound, not a measure.
 *
 * @example
 * ```ts
 * estimateSecretBits('a'.repeat(48)) // 0
 * estimateSecretBits(randomBytes(32).toString('base64')) // about 270
 * ```
 */
export function estimateSecretBits(secret: string): number {
  const codes = Array.from(secret.slice(0, MAX_EXAMINED), (char) => char.codePointAt(0) ?? 0)
  const pool = poolSize(codes)
  if (pool < 2) return 0
  let unpredictable = 0
  let at = 0
  while (at < codes.length) {
    const repeat = longestEarlierRepeat(codes, at)
    if (repeat >= MIN_REPEAT) {
      at += repeat
      continue
    }
    if (!continuesRun(codes, at)) unpredictable += 1
    at += 1
  }
  return unpredictable * Math.log2(pool)
}

/** The length of the longest match of `codes[at…]` starting earlier (it may overlap `at`). */
function longestEarlierRepeat(codes: readonly number[], at: number): number {
  let longest = 0
  for (let from = 0; from < at; from++) {
    let length = 0
    while (at + length < codes.length && codes[from + length] === codes[at + length]) length += 1
    if (length > longest) longest = length
  }
  return longest
}

function continuesRun(codes: readonly number[], at: number): boolean {
  if (at < 2) return false
  const step = (codes[at] ?? 0) - (codes[at - 1] ?? 0)
  return Math.abs(step) <= 1 && step === (codes[at - 1] ?? 0) - (codes[at - 2] ?? 0)
}

const isHex = (code: number, letters: number) =>
  (code >= 0x30 && code <= 0x39) || (code >= letters && code <= letters + 5)

// Characters beyond ASCII count one each: their script's size says nothing of the choice.
function poolSize(codes: readonly number[]): number {
  if (new Set(codes).size < 2) return 1
  if (codes.every((code) => isHex(code, 0x61)) || codes.every((code) => isHex(code, 0x41))) {
    return 16
  }
  const classes = new Map<string, number>()
  const beyondAscii = new Set<number>()
  for (const code of codes) {
    if (code >= 0x30 && code <= 0x39) classes.set('digit', 10)
    else if (code >= 0x61 && code <= 0x7a) classes.set('lower', 26)
    else if (code >= 0x41 && code <= 0x5a) classes.set('upper', 26)
    else if (code >= 0x20 && code < 0x7f) classes.set('punctuation', 33)
    else beyondAscii.add(code)
  }
  return [...classes.values()].reduce((sum, size) => sum + size, beyondAscii.size)
}
