import type { InternalAxiosRequestConfig } from 'axios'

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
}

// The same test axios uses: a scheme, or a protocol-relative `//host`.
const isAbsolute = (url: string) => /^([a-z][a-z\d+.-]*:)?\/\//i.test(url)

/** Joins a base URL and a path the way axios does (string concatenation, not URL resolution). */
export function joinURL(base: string | undefined, path: string, allowAbsolute = true): string {
  return base === undefined || base === '' || (allowAbsolute && isAbsolute(path))
    ? path
    : `${base.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`
}

/** Parses a URL against the page in browsers; `null` when it cannot be resolved. */
export function parseURL(url: string): URL | null {
  try {
    return new URL(url, (globalThis as { location?: { href: string } }).location?.href)
  } catch {
    return null
  }
}

/** Where a request goes, resolved exactly as axios will resolve it. */
export function requestURL(config: InternalAxiosRequestConfig): URL | null {
  return parseURL(joinURL(config.baseURL, config.url ?? '', config.allowAbsoluteUrls !== false))
}
