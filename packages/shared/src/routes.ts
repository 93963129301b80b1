/**
 * The token server's route paths. Server routes and SDK defaults both read them, so a path
 * is spelled once.
 *
 * @example
 * ```ts
 * await http.post(ROUTES.refresh, { refreshToken })
 * ```
 */
export const ROUTES = {
  register: '/auth/register',
  login: '/auth/login',
  refresh: '/auth/refresh',
  logout: '/auth/logout',
  logoutAll: '/auth/logout-all',
  password: '/auth/password',
  me: '/auth/me',
  sessions: '/auth/sessions',
  session: '/auth/sessions/:id',
  jwks: '/.well-known/jwks.json',
  healthz: '/healthz',
  readyz: '/readyz',
  openapi: '/openapi.json',
} as const

/** One of the server's route paths. */
export type RoutePath = (typeof ROUTES)[keyof typeof ROUTES]

/**
 * The path of one session, for `DELETE /auth/sessions/:id`.
 *
 * @example
 * ```ts
 * sessionPath('s_123') // '/auth/sessions/s_123'
 * ```
 */
export function sessionPath(id: string): string {
  return ROUTES.session.replace(':id', encodeURIComponent(id))
}
