import { ROUTES } from '@refresh-kit/shared'
import { check } from './check.js'
import { joinURL, parseURL } from './url.js'

/** Paths of the token endpoints, relative to `baseURL`. */
export interface AuthPaths {
  /** @default '/auth/login' */
  login: string
  /** @default '/auth/refresh' */
  refresh: string
  /** @default '/auth/logout' */
  logout: string
  /** @default '/auth/register' */
  register: string
  /** @default '/auth/logout-all' */
  logoutAll: string
  /** One session is `${sessions}/${id}`. @default '/auth/sessions' */
  sessions: string
  /** @default '/auth/password' */
  password: string
}

/** What both bindings resolve once from `baseURL`, `authorizedOrigins` and `paths`. */
export interface Endpoints {
  /** The token endpoints, absolute where the page or `baseURL` lets them be. */
  endpoints: AuthPaths
  /** Whether a request to this URL carries the bearer: an authorized origin, and not a token endpoint. */
  managed(url: URL | null): boolean
}

// The first four are token endpoints, which never carry the bearer; the rest need it.
const KEYS = [
  'login',
  'refresh',
  'logout',
  'register',
  'logoutAll',
  'sessions',
  'password',
] as const

/**
 * Resolves the configured URLs against the page's own address, never a `<base href>`:
 * the authorized origins default to `baseURL`'s, and the token endpoints become absolute, so
 * a password or a refresh token goes only where the app said.
 */
export function resolveEndpoints(
  where: string,
  baseURL: string,
  authorizedOrigins: string[] | undefined,
  paths: Partial<AuthPaths> | undefined,
): Endpoints {
  const origin = (url: string, option: string) => {
    const parsed = parseURL(url, true)
    check(parsed !== null, where, option)
    return parsed?.origin
  }
  origin(baseURL, 'baseURL')
  const origins = new Set(
    (authorizedOrigins ?? [baseURL]).map((url) => origin(url, 'authorizedOrigins')),
  )
  const all = { ...ROUTES, ...paths }
  const endpoints = {} as AuthPaths
  const tokenPaths = new Set<string>()
  KEYS.forEach((key, index) => {
    const joined = joinURL(baseURL, all[key])
    const parsed = parseURL(joined, true)
    endpoints[key] = parsed?.href ?? joined
    if (index < 4) tokenPaths.add(`${parsed?.origin}${parsed?.pathname}`)
  })
  return {
    endpoints,
    managed: (url) =>
      url !== null && origins.has(url.origin) && !tokenPaths.has(url.origin + url.pathname),
  }
}
