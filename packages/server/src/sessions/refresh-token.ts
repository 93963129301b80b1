import { createHmac, type KeyObject, timingSafeEqual } from 'node:crypto'
import { FIELD_BOUNDS } from '@refresh-kit/shared'
import { RANDOM_ID_PATTERN } from '../lib/random-id.js'

/** What a refresh token carries. */
export interface RefreshTokenClaims {
  userId: string
  sessionId: string
  /** The session generation this token belongs to; 0 after login. */
  generation: number
}

/** Issues and parses refresh tokens under one MAC key. */
export interface RefreshTokenCodec {
  /** `rk1.<userId>.<sessionId>.<generation>.<mac>`; the same claims give the same token. */
  issue(claims: RefreshTokenClaims): string
  /** The claims of an authentic, well-formed token, or `null`; never touches storage. */
  parse(token: unknown): RefreshTokenClaims | null
}

const PREFIX = 'rk1'
const TOKEN_PATTERN = new RegExp(
  `^${PREFIX}\\.(${RANDOM_ID_PATTERN})\\.(${RANDOM_ID_PATTERN})\\.(0|[1-9][0-9]{0,15})\\.([A-Za-z0-9_-]{43})$`,
)

/**
 * The refresh-token format: opaque to clients, authenticated with HMAC-SHA256, so a forged
 * or tampered token is refused before any store call, and the store keeps nothing from
 * which a token can be rebuilt. The successor of a generation is deterministic, which is
 * what lets the reuse grace window answer with the *same* successor.
 *
 * @example
 * ```ts
 * const codec = createRefreshTokenCodec(keys.refreshMacKey)
 * const token = codec.issue({ userId, sessionId, generation: 0 })
 * codec.parse(token) // { userId, sessionId, generation: 0 }
 * ```
 */
export function createRefreshTokenCodec(key: KeyObject): RefreshTokenCodec {
  if (key?.type !== 'secret') {
    throw new TypeError('createRefreshTokenCodec: key must be a secret KeyObject')
  }
  const mac = (body: string) => createHmac('sha256', key).update(body).digest('base64url')
  return {
    issue({ userId, sessionId, generation }) {
      if (!Number.isSafeInteger(generation) || generation < 0) {
        throw new TypeError('a refresh token generation is a non-negative safe integer')
      }
      const body = `${PREFIX}.${userId}.${sessionId}.${generation}`
      const token = `${body}.${mac(body)}`
      if (!TOKEN_PATTERN.test(token))
        throw new TypeError('a refresh token id has 22 base64url characters')
      return token
    },
    parse(token) {
      if (typeof token !== 'string' || token.length > FIELD_BOUNDS.refreshToken.max) return null
      const match = TOKEN_PATTERN.exec(token)
      if (match === null) return null
      const [, userId, sessionId, generationText, presented] = match
      if (userId === undefined || sessionId === undefined || generationText === undefined)
        return null
      if (presented === undefined) return null
      const generation = Number(generationText)
      if (!Number.isSafeInteger(generation)) return null
      const expected = mac(token.slice(0, token.length - presented.length - 1))
      // Both are 43 ASCII characters; comparing the text also refuses non-canonical base64url.
      if (!timingSafeEqual(Buffer.from(presented), Buffer.from(expected))) return null
      return { userId, sessionId, generation }
    },
  }
}
