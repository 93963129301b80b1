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

/**
 * Memoizes `decide(joinURL(base, url, allowAbsolute))` per `base` and `url`: a client sends the
 * same few URLs again and again, and parsing each one costs more than the rest of what the
 * SDK does for a request. The answer is exactly the full parse's (it is one, made once), kept
 * only for URLs that resolve the same on every page of a document, and only when absolute
 * URLs are allowed. At most `limit` answers are kept, per memo, so memory stays bounded and
 * nothing is shared between clients; a client with more distinct URLs parses the others each
 * time.
 */
export function memoizeURL<T>(
  decide: (url: string) => T,
  limit = 256,
): (base: string | undefined, url: string, allowAbsolute?: boolean) => T {
  const byBase = new Map<string | undefined, Map<string, T>>()
  let size = 0
  let page: string | undefined
  return (base, url, allowAbsolute = true) => {
    // A `<base href>` added or changed later moves where rooted paths go: start over then,
    // as when the memo is full.
    const now = (globalThis as PageGlobals).document?.baseURI
    if (now !== page || size >= limit) {
      byBase.clear()
      size = 0
      page = now
    }
    const memo = allowAbsolute ? byBase.get(base) : undefined
    if (memo?.has(url)) return memo.get(url) as T
    const full = joinURL(base, url, allowAbsolute)
    const answer = decide(full)
    // Resolved the same on every page of a document: `scheme://`, `//host` or a rooted path
    // depend on the base URL's origin at most, which the check above follows; `api/x` or
    // `https:x` follow its path, and are parsed each time.
    if (allowAbsolute && (full[0] === '/' || isAbsolute(full))) {
      byBase.set(base, (byBase.get(base) ?? new Map<string, T>()).set(url, answer))
      size += 1
    }
    return answer
  }
}
