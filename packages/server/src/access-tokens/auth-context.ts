import type { AccessTokenClaims } from '@refresh-kit/shared'

/** Who an access token speaks for. */
export interface AccessTokenSubject {
  userId: string
  sessionId: string
  username: string
}

/** What a verified access token says; `requireAuth` puts it in `ctx.state.auth`. */
export interface AuthContext extends AccessTokenSubject {
  claims: AccessTokenClaims
}
