import { isIPv4, isIPv6 } from 'node:net'
import type { Context } from 'koa'

/** At most this many `X-Forwarded-For` entries are read, from the right. */
const MAX_FORWARDED_ENTRIES = 32
/** Longer than any IP address literal (an IPv6 with an embedded IPv4 and a zone is < 64). */
const MAX_ENTRY_LENGTH = 64

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

/**
 * The address a limit counts for `address`, or `null` when it is not an IP address: an IPv4
 * address as it is, an IPv4-mapped IPv6 address as its IPv4, and any other IPv6 address as
 * its /64 network (`2001:db8:1:2::/64`), because one subscriber usually holds a whole /64
 * and could otherwise take a fresh address for every try.
 *
 * @example
 * ```ts
 * normalizeAddress('2001:db8::1') // '2001:db8:0:0::/64'
 * normalizeAddress('::ffff:192.0.2.1') // '192.0.2.1'
 * normalizeAddress('nonsense') // null
 * ```
 */
export function normalizeAddress(address: string): string | null {
  const text = address.trim()
  if (text.length === 0 || text.length > MAX_ENTRY_LENGTH) return null
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
 * The client's address as the limits count it. The socket's address, unless
 * `trustedHops` is a number N of proxies in front of the server: then the Nth valid address
 * from the right of `X-Forwarded-For` (each proxy appends the address it received the
 * request from, so the entries further left are the client's own words). Entries that are
 * not IP addresses are skipped; with fewer valid entries than N, the left-most one counts,
 * as Express's hop count does. Always normalized by {@link normalizeAddress}, so a key built
 * from it is short whatever the header holds.
 *
 * @example
 * ```ts
 * // TRUST_PROXY=1, socket 10.0.0.2 (the proxy), X-Forwarded-For: 6.6.6.6, 203.0.113.7
 * clientAddressOf(ctx, 1) // '203.0.113.7'
 * ```
 */
export function clientAddressOf(ctx: Context, trustedHops: number): string {
  const socket = normalizeAddress(ctx.req.socket.remoteAddress ?? '') ?? 'unknown'
  if (trustedHops <= 0) return socket
  const header = ctx.get('X-Forwarded-For')
  if (header === '') return socket
  const entries = header.split(',')
  const chain: string[] = [socket]
  for (let at = entries.length - 1; at >= 0 && chain.length <= trustedHops; at -= 1) {
    if (entries.length - at > MAX_FORWARDED_ENTRIES) break
    const address = normalizeAddress(entries[at] ?? '')
    if (address !== null) chain.push(address)
  }
  return chain[Math.min(trustedHops, chain.length - 1)] ?? socket
}
