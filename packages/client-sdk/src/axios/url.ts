import type { InternalAxiosRequestConfig } from 'axios'
import { joinURL, memoizeURL, parseURL } from '../lib/url.js'

export { joinURL, parseURL }

/** Where a request goes, resolved exactly as axios will resolve it. */
export function requestURL(config: InternalAxiosRequestConfig): URL | null {
  return parseURL(joinURL(config.baseURL, config.url ?? '', config.allowAbsoluteUrls !== false))
}

/**
 * @internal
 * Memoizes `decide(requestURL(config))` per `baseURL` and `url`, as {@link memoizeURL} does:
 * kept only for URLs that resolve the same on every page of a document, only for the default
 * `allowAbsoluteUrls`, and at most `limit` answers per memo.
 *
 * @example
 * ```ts
 * const isApi = memoizeByURL((url) => url?.origin === 'https://api.example.com')
 * isApi(config) // parsed once per baseURL and url
 * ```
 */
export function memoizeByURL<T>(
  decide: (url: URL | null) => T,
  limit?: number,
): (config: InternalAxiosRequestConfig) => T {
  const memo = memoizeURL((url) => decide(parseURL(url)), limit)
  return (config) => memo(config.baseURL, config.url ?? '', config.allowAbsoluteUrls !== false)
}
