// The same test axios uses: a scheme, or a protocol-relative `//host`.
const ABSOLUTE = /^([a-z][a-z\d+.-]*:)?\/\//i

/** Whether a URL carries its own scheme or host (axios's test). */
export const isAbsolute = (url: string): boolean => ABSOLUTE.test(url)

/** Joins a base URL and a path the way axios does (string concatenation, not URL resolution). */
export function joinURL(base: string | undefined, path: string, allowAbsolute = true): string {
  return base === undefined || base === '' || (allowAbsolute && isAbsolute(path))
    ? path
    : `${base.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`
}

interface PageGlobals {
  location?: { href: string }
  document?: { baseURI?: string }
}

/**
 * Parses a URL; `null` when it cannot be resolved. A relative URL resolves the way the browser
 * resolves the request it names: against `document.baseURI`, so a `<base href>` is followed
 * (Node.js and workers have neither and take absolute URLs only, or `location` in a worker).
 * With `own` it resolves against the page's own address instead: what the app configured
 * (`baseURL`, the authorized origins, the token endpoints) belongs to the page's origin, and
 * a `<base href>` put in the page cannot move it.
 */
export function parseURL(url: string, own?: boolean): URL | null {
  const g = globalThis as PageGlobals
  try {
    return new URL(url, own ? g.location?.href : (g.document?.baseURI ?? g.location?.href))
  } catch {
    return null
  }
}
