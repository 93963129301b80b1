import type { TokenResponse } from '@refresh-kit/shared'
import {
  type AccessTokenClaimsHook,
  checkCustomClaims,
  checkTokenSize,
} from '../access-tokens/custom-claims.js'
import type { AccessTokens, SignedAccessToken } from '../access-tokens/sign-and-verify.js'
import type { AuthUser } from '../credentials/users/types.js'
import type { RotatedSession } from '../store/types.js'
import type { RefreshTokenCodec } from './refresh-token.js'

/** The tokens a login or a refresh answers with. */
export interface TokenIssuer {
  /** An access token for `user` in `sessionId`, custom claims checked and size bounded. */
  sign(user: AuthUser, sessionId: string): Promise<SignedAccessToken>
  /** The answer: the signed access token and the session's next refresh token. */
  response(session: RotatedSession, signed: SignedAccessToken): TokenResponse
}

/** What {@link createTokenIssuer} needs. */
export interface TokenIssuerOptions {
  access: AccessTokens
  refreshTokens: RefreshTokenCodec
  /** Adds claims to every access token; absent, none. */
  claimsHook: AccessTokenClaimsHook | undefined
}

/** Signs the access token and writes the refresh token of a login or refresh. */
export function createTokenIssuer({
  access,
  refreshTokens,
  claimsHook,
}: TokenIssuerOptions): TokenIssuer {
  return {
    async sign(user, sessionId) {
      if (claimsHook === undefined) {
        return access.sign({ userId: user.id, sessionId, username: user.username })
      }
      const extra = checkCustomClaims(await claimsHook({ user, sessionId }))
      const signed = access.sign({ userId: user.id, sessionId, username: user.username }, extra)
      checkTokenSize(signed.token)
      return signed
    },
    response(session, signed) {
      return {
        accessToken: signed.token,
        refreshToken: refreshTokens.issue({
          userId: session.userId,
          sessionId: session.id,
          generation: session.generation,
        }),
        tokenType: 'Bearer',
        expiresIn: signed.expiresIn,
        // Measured on the clock the store decided with (Redis's own, by default), not this one.
        refreshExpiresIn: Math.max(
          0,
          Math.ceil((session.idleExpiresAt - session.lastUsedAt) / 1000),
        ),
      }
    },
  }
}
