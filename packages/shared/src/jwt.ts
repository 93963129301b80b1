/** A decoded JWT payload: claims by name, not verified. */
export type JwtPayload = Record<string, unknown> & { exp?: number; iat?: number; sub?: string }

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
const LOOKUP = new Map<string, number>([...ALPHABET].map((char, index) => [char, index]))

function base64UrlToBytes(input: string): Uint8Array {
  // A length of 1 mod 4 cannot come from any byte sequence.
  if (input.length % 4 === 1) throw new TypeError('invalid base64url: bad length')
  const bytes = new Uint8Array(Math.floor((input.length * 3) / 4))
  let buffer = 0
  let bits = 0
  let out = 0
  for (const char of input) {
    const value = LOOKUP.get(char)
    if (value === undefined) throw new TypeError('invalid base64url: unexpected character')
    buffer = (buffer << 6) | value
    bits += 6
    if (bits >= 8) {
      bits -= 8
      bytes[out++] = (buffer >> bits) & 0xff
    }
  }
  return bytes.subarray(0, out)
}

/**
 * Reads the payload of a JWT without verifying it: for a client that wants to show claims or
 * know `exp`. Never use it to trust a token; the server verifies.
 * Works in browsers and Node.js alike (no `Buffer`, no `atob`).
 *
 * @throws TypeError when the token is not three base64url parts with a JSON object in the middle.
 * @example
 * ```ts
 * const { exp, sub } = decodeJwtPayload(accessToken)
 * ```
 */
export function decodeJwtPayload<T extends JwtPayload = JwtPayload>(token: string): T {
  if (typeof token !== 'string') throw new TypeError('a JWT must be a string')
  const parts = token.split('.')
  if (parts.length !== 3 || parts[1] === undefined || parts[1] === '') {
    throw new TypeError('a JWT has three dot-separated parts')
  }
  let payload: unknown
  try {
    payload = JSON.parse(
      new TextDecoder('utf-8', { fatal: true }).decode(base64UrlToBytes(parts[1])),
    )
  } catch (cause) {
    throw new TypeError('the JWT payload is not base64url-encoded JSON', { cause })
  }
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
    throw new TypeError('the JWT payload is not a JSON object')
  }
  return payload as T
}
