import { isIPv4, isIPv6 } from 'node:net'
import type { Context } from 'koa'

/** At most this many forwarded entries are read, from the right. */
const MAX_FORWARDED_ENTRIES = 32
/** Longer than any IP address literal with a port (an IPv6 with an embedded IPv4, a zone and a port is < 72). */
const MAX_ENTRY_LENGTH = 72
/** Longer than any host name with a port (253 characters of DNS name, a colon, five digits). */
const MAX_HOST_LENGTH = 260

/**
 * Which headers the trusted proxies write: `x-forwarded` for `X-Forwarded-For`,
 * `X-Forwarded-Host` and `X-Forwarded-Proto` (nginx, HAProxy, most load balancers), or
 * `forwarded` for RFC 7239's `Forwarded` (`for=`, `host=`, `proto=`). Only that family is
 * read; the other one is whatever the client wrote, because a proxy passes on a header it
 * does not write untouched, so preferring either header whenever it is present would let a
 * client choose its own address behind a proxy that writes the other one.
 */
export type ProxyHeader = 'x-forwarded' | 'forwarded'

/** What one forwarded entry says: the peer's address, and the host and protocol it asked for. */
export type ForwardedParameter = 'for' | 'host' | 'proto'

/** The eight groups of a valid IPv6 address (zone dropped), via the URL parser's canonical form. */
function expandIPv6(address: string): number[] | null {
  const zone = address.indexOf('%')
  let host: string
  try {
    // WHATWG URL serializes an IPv6 host compressed and in hex, embedded IPv4 included.
    host = new URL(`http://[${zone === -1 ? address : address.slice(0, zone)}]/`).hostname
  } catch {
    return null
  }
  const [head = '', tail] = host.slice(1, -1).split('::')
  const parse = (part: string) =>
    part === '' ? [] : part.split(':').map((g) => Number.parseInt(g, 16))
  const left = parse(head)
  const right = tail === undefined ? [] : parse(tail)
  const groups = [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right]
  return groups.length === 8 && groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff)
    ? groups
    : null
}

const PORT = /^\d{1,5}$/

/**
 * The address of a forwarded entry without its port: `203.0.113.7:40001` gives
 * `203.0.113.7`, `[2001:db8::1]:443` gives `2001:db8::1`; anything else as it is. A bare IPv6
 * address has colons too, so only a bracketed one carries a port.
 */
function withoutPort(entry: string): string {
  if (entry.startsWith('[')) {
    const close = entry.indexOf(']')
    const rest = close === -1 ? '' : entry.slice(close + 1)
    if (close !== -1 && (rest === '' || (rest.startsWith(':') && PORT.test(rest.slice(1))))) {
      return entry.slice(0, close + 1)
    }
    return entry
  }
  const colon = entry.indexOf(':')
  if (colon !== -1 && colon === entry.lastIndexOf(':') && PORT.test(entry.slice(colon + 1))) {
    return entry.slice(0, colon)
  }
  return entry
}

/**
 * The address a limit counts for `address`, or `null` when it is not an IP address: an IPv4
 * address as it is, an IPv4-mapped IPv6 address as its IPv4, and any other IPv6 address as
 * its /64 network (`2001:db8:1:2::/64`), because one subscriber usually holds a whole /64
 * and could otherwise take a fresh address for every try. A port, as some proxies append
 * (`203.0.113.7:40001`, `[2001:db8::1]:443`), is dropped.
 *
 * @example
 * ```ts
 * normalizeAddress('2001:db8::1') // '2001:db8:0:0::/64'
 * normalizeAddress('[2001:db8::1]:443') // '2001:db8:0:0::/64'
 * normalizeAddress('::ffff:192.0.2.1') // '192.0.2.1'
 * normalizeAddress('203.0.113.7:40001') // '203.0.113.7'
 * normalizeAddress('nonsense') // null
 * ```
 */
export function normalizeAddress(address: string): string | null {
  const trimmed = address.trim()
  if (trimmed.length === 0 || trimmed.length > MAX_ENTRY_LENGTH) return null
  const text = withoutPort(trimmed)
  if (isIPv4(text)) return text
  const bare = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text
  if (!isIPv6(bare)) return null
  const groups = expandIPv6(bare)
  if (groups === null) return null
  const [a = 0, b = 0, c = 0, d = 0, e = 0, f = 0, g = 0, h = 0] = groups
  if (a === 0 && b === 0 && c === 0 && d === 0 && e === 0 && f === 0xffff) {
    return `${g >> 8}.${g & 0xff}.${h >> 8}.${h & 0xff}`
  }
  return `${[a, b, c, d].map((group) => group.toString(16)).join(':')}::/64`
}

/**
 * `text` split at `separator`, from the right, at most `limit` parts; with `quotes`, not
 * inside double quotes, since RFC 7239 allows commas and semicolons in a quoted value.
 */
function splitFromRight(text: string, separator: string, limit: number, quotes = true): string[] {
  const parts: string[] = []
  let end = text.length
  let quoted = false
  for (let at = text.length - 1; at >= 0 && parts.length < limit; at -= 1) {
    const char = text[at]
    // A quote preceded by a backslash is part of the value (quoted-pair).
    if (quotes && char === '"' && text[at - 1] !== '\\') quoted = !quoted
    else if (char === separator && !quoted) {
      parts.push(text.slice(at + 1, end))
      end = at
    }
  }
  if (parts.length < limit) parts.push(text.slice(0, end))
  return parts
}

/** The value of an RFC 7239 pair: a token, or a quoted-string with its quoted-pairs undone. */
function unquote(value: string): string {
  const text = value.trim()
  if (text.length >= 2 && text.startsWith('"') && text.endsWith('"')) {
    return text.slice(1, -1).replace(/\\(.)/g, '$1')
  }
  return text
}

/** One `Forwarded` element (`for=…;proto=…;host=…`) as a map of its lower-cased parameters. */
function forwardedElement(element: string): Map<string, string> {
  const pairs = new Map<string, string>()
  for (const pair of splitFromRight(element, ';', 8)) {
    const equals = pair.indexOf('=')
    if (equals === -1) continue
    const name = pair.slice(0, equals).trim().toLowerCase()
    // The first of a repeated parameter counts, as a proxy writes one of each.
    pairs.set(name, unquote(pair.slice(equals + 1)))
  }
  return pairs
}

const X_FORWARDED: Record<ForwardedParameter, string> = {
  for: 'X-Forwarded-For',
  host: 'X-Forwarded-Host',
  proto: 'X-Forwarded-Proto',
}

/**
 * The values of `parameter` that forwarded headers carry, right-most (nearest the server)
 * first, one per entry, at most {@link MAX_FORWARDED_ENTRIES}: from `X-Forwarded-For`,
 * `-Host` or `-Proto`, or from the elements of `Forwarded` (an element without the parameter
 * gives `''`, so it keeps its place).
 */
export function forwardedValues(
  ctx: Pick<Context, 'get'>,
  header: ProxyHeader,
  parameter: ForwardedParameter,
): string[] {
  if (header === 'x-forwarded') {
    const value = ctx.get(X_FORWARDED[parameter])
    if (value === '') return []
    // No quoting in these: a quote is just a character of a (then invalid) entry.
    return splitFromRight(value, ',', MAX_FORWARDED_ENTRIES, false).map((entry) => entry.trim())
  }
  const value = ctx.get('Forwarded')
  if (value === '') return []
  return splitFromRight(value, ',', MAX_FORWARDED_ENTRIES).map(
    (element) => forwardedElement(element).get(parameter) ?? '',
  )
}

/**
 * What the trusted proxies said, from a list of forwarded values read from the right: each
 * of `trustedHops` proxies appended one value, so the Nth from the right is what the
 * outermost trusted proxy recorded, and anything to its left is the client's own words. When
 * that value is not usable (`unknown`, an obfuscated identifier, junk), the nearest usable
 * value to its right counts, which a trusted proxy wrote too; never one further left. With
 * fewer values than hops, the left-most is the furthest back one can go, as Express's hop
 * count does. `null` when no trusted value is usable.
 *
 * @example
 * ```ts
 * // two trusted hops; the client wrote 6.6.6.6
 * trustedForwardedValue(['10.0.0.1', '203.0.113.7', '6.6.6.6'], 2, normalizeAddress) // '203.0.113.7'
 * ```
 */
export function trustedForwardedValue(
  rightToLeft: readonly string[],
  trustedHops: number,
  usable: (value: string) => string | null,
): string | null {
  for (let at = Math.min(trustedHops, rightToLeft.length) - 1; at >= 0; at -= 1) {
    const value = usable(rightToLeft[at] ?? '')
    if (value !== null) return value
  }
  return null
}

/**
 * A host (`name`, `name:port`, `[v6]:port`) in the URL parser's form (lower case, `:80`
 * dropped), or `null` when it is not one: anything that would add a path, a user or a
 * second host is refused rather than cut off.
 */
export function normalizeHost(value: string): string | null {
  const text = value.trim()
  if (text === '' || text.length > MAX_HOST_LENGTH || /[/?#@\\\s]/.test(text)) return null
  try {
    return new URL(`http://${text}`).host
  } catch {
    return null
  }
}

/** `http` or `https` (any case), lower-cased; else `null`. */
export function normalizeProto(value: string): string | null {
  const text = value.trim().toLowerCase()
  return text === 'http' || text === 'https' ? text : null
}

/** How a request reached the server, as far as its trusted proxies tell. */
export interface ProxySettings {
  /** Trusted proxy hops in front of the server; `0`: none, the socket is the client. */
  trustedHops: number
  /** The header family those proxies write. @default 'x-forwarded' */
  header?: ProxyHeader
}

/**
 * The host and protocol the client asked for, as the outermost trusted proxy recorded them
 * (`X-Forwarded-Host`/`-Proto`, or `Forwarded`'s `host=`/`proto=`), read from the right like
 * the address; each `null` when no proxy is trusted or none recorded a usable one.
 *
 * @example
 * ```ts
 * // one trusted hop; X-Forwarded-Host: evil.example, auth.example.com
 * forwardedOrigin(ctx, { trustedHops: 1 }) // { host: 'auth.example.com', proto: null }
 * ```
 */
export function forwardedOrigin(
  ctx: Pick<Context, 'get'>,
  { trustedHops, header = 'x-forwarded' }: ProxySettings,
): { host: string | null; proto: string | null } {
  if (trustedHops <= 0) return { host: null, proto: null }
  return {
    host: trustedForwardedValue(forwardedValues(ctx, header, 'host'), trustedHops, normalizeHost),
    proto: trustedForwardedValue(
      forwardedValues(ctx, header, 'proto'),
      trustedHops,
      normalizeProto,
    ),
  }
}

/**
 * The client's address as the limits count it. The socket's address, unless `trustedHops`
 * is a number N of proxies in front of the server: then the Nth entry from the right of
 * `X-Forwarded-For` (or of `Forwarded`'s `for=`, with `header: 'forwarded'`), since each
 * proxy appends the address it received the request from and the entries further left are
 * the client's own words. Ports are dropped (`ip:port`, `[v6]:port`). An entry that is not an
 * address (`unknown`, an obfuscated `_identifier`) keeps its place: the nearest address a
 * trusted proxy wrote to its right counts instead, the socket's when there is none; with
 * fewer entries than N, the left-most one counts, as Express's hop count does. Always
 * normalized by {@link normalizeAddress}, so a key built from it is short whatever the header
 * holds.
 *
 * @example
 * ```ts
 * // TRUST_PROXY=1, socket 10.0.0.2 (the proxy), X-Forwarded-For: 6.6.6.6, 203.0.113.7:40001
 * clientAddressOf(ctx, 1) // '203.0.113.7'
 * ```
 */
export function clientAddressOf(
  ctx: Pick<Context, 'get' | 'req'>,
  trustedHops: number,
  header: ProxyHeader = 'x-forwarded',
): string {
  const socket = normalizeAddress(ctx.req.socket.remoteAddress ?? '') ?? 'unknown'
  if (trustedHops <= 0) return socket
  const values = forwardedValues(ctx, header, 'for')
  return trustedForwardedValue(values, trustedHops, normalizeAddress) ?? socket
}
