import type { InternalAxiosRequestConfig } from 'axios'
import { isAbsolute, joinURL, parseURL } from '../lib/url.js'

export { joinURL, parseURL }

/** Where a request goes, resolved exactly as axios will resolve it. */
export function requestURL(config: InternalAxiosRequestConfig): URL | null {
  return parseURL(joinURL(config.baseURL, config.url ?? '', config.allowAbsoluteUrls !== false))
}

/**
 * @internal
 * Memoizes `decide(requestURL(config))` per `baseURL` and `url`: a client sends the same few
 * URLs again and again, and parsing each one costs more than the rest of the request
 * interceptor. The answer is exactly the full parse's (it is one, made once), kept only for
 * URLs that resolve the same on every page of a document, and only for the default
 * `allowAbsoluteUrls`. At most `limit` answers are kept, per memo, so memory stays bounded and
 * nothing is shared between clients; a client with more distinct URLs parses the others each
 * time, as before.
 *
 * @example
 * ```ts
 * const isApi = memoizeByURL((url) => url?.origin === 'https://api.example.com')
 * isApi(config) // parsed once per baseURL and url
 * ```
 */
export function memoizeByURL<T>(
  decide: (url: URL | null) => T,
  limit = 256,
): (config: InternalAxiosRequestConfig) => T {
  const byBase = new Map<string | undefined, Map<string, T>>()
  let size = 0
  let page: string | undefined
  return (config) => {
    // A `<base href>` added or changed later moves where rooted paths go: start over then.
    const now = (globalThis as { document?: { baseURI?: string } }).document?.baseURI
    if (now !== page) {
      byBase.clear()
      size = 0
      page = now
    }
    const url = config.url ?? ''
    const memo = config.allowAbsoluteUrls === false ? undefined : byBase.get(config.baseURL)
    if (memo?.has(url)) return memo.get(url) as T
    const full = joinURL(config.baseURL, url, config.allowAbsoluteUrls !== false)
    const answer = decide(parseURL(full))
    // Resolved the same on every page of a document: `scheme://`, `//host` or a rooted path
    // depend on the base URL's origin at most, which the check above follows; `api/x` or
    // `https:x` follow its path, and are parsed each time.
    if (config.allowAbsoluteUrls !== false && (full[0] === '/' || isAbsolute(full))) {
      if (size >= limit) {
        byBase.clear()
        size = 0
      }
      const next = byBase.get(config.baseURL) ?? new Map<string, T>()
      byBase.set(config.baseURL, next.set(url, answer))
      size += 1
    }
    return answer
  }
}
