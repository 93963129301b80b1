import { createHmac, type KeyObject } from 'node:crypto'

/** The three parts of a JWT, decoded. */
export interface DecodedJwt {
  header: Record<string, unknown>
  payload: Record<string, unknown>
  signature: string
}

function encodePart(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url')
}

/**
 * Splits a compact JWT into its decoded header and payload and its raw signature. For tests
 * only: nothing is verified.
 *
 * @example
 * ```ts
 * const { header, payload } = decodeJwt(accessToken)
 * ```
 */
export function decodeJwt(token: string): DecodedJwt {
  const [header, payload, signature] = token.split('.')
  if (header === undefined || payload === undefined || signature === undefined) {
    throw new TypeError('not a compact JWT')
  }
  return {
    header: JSON.parse(Buffer.from(header, 'base64url').toString('utf8')),
    payload: JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')),
    signature,
  }
}

/**
 * Builds an HS256 JWT from any header and payload (no claim is checked or added), signed with
 * `secret`: a key the server trusts, a wrong one, or the bytes of a public key.
 *
 * @example
 * ```ts
 * signHs256({ alg: 'HS256', typ: 'at+jwt' }, { ...claims, iss: 'someone-else' }, secret)
 * ```
 */
export function signHs256(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  secret: string | Buffer | KeyObject,
): string {
  const body = `${encodePart(header)}.${encodePart(payload)}`
  const signature = createHmac('sha256', secret).update(body).digest('base64url')
  return `${body}.${signature}`
}

/**
 * An unsigned JWT (`alg: none`, RFC 7519 §6): empty signature part.
 *
 * @example
 * ```ts
 * unsignedJwt({ ...claims })
 * ```
 */
export function unsignedJwt(
  payload: Record<string, unknown>,
  header: Record<string, unknown> = { alg: 'none', typ: 'at+jwt' },
): string {
  return `${encodePart(header)}.${encodePart(payload)}.`
}

/**
 * A JWT whose header or payload part is replaced by other JSON while the original signature
 * is kept: what an attacker who cannot sign sends.
 *
 * @example
 * ```ts
 * withPart(token, 'payload', { ...payload, sub: otherUserId })
 * ```
 */
export function withPart(
  token: string,
  part: 'header' | 'payload',
  value: Record<string, unknown>,
): string {
  const [header, payload, signature] = token.split('.')
  return part === 'header'
    ? `${encodePart(value)}.${payload}.${signature}`
    : `${header}.${encodePart(value)}.${signature}`
}

/**
 * The token with one character of its signature changed (never the last one, whose low bits
 * may not count in base64url).
 *
 * @example
 * ```ts
 * flipSignature(accessToken)
 * ```
 */
export function flipSignature(token: string): string {
  const cut = token.lastIndexOf('.')
  const signature = token.slice(cut + 1)
  const at = Math.floor(signature.length / 2)
  const flipped = signature[at] === 'A' ? 'B' : 'A'
  return `${token.slice(0, cut + 1)}${signature.slice(0, at)}${flipped}${signature.slice(at + 1)}`
}
