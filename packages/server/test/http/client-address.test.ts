import type { Context } from 'koa'
import { describe, expect, it } from 'vitest'
import {
  clientAddressOf,
  forwardedOrigin,
  normalizeAddress,
} from '../../src/http/client-address.js'

function ctx(socket: string, headers: Record<string, string> = {}): Context {
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]))
  return {
    req: { socket: { remoteAddress: socket } },
    get: (name: string) => lower[name.toLowerCase()] ?? '',
  } as unknown as Context
}

const xff = (socket: string, forwardedFor: string) =>
  ctx(socket, { 'X-Forwarded-For': forwardedFor })
const fwd = (socket: string, forwarded: string) => ctx(socket, { Forwarded: forwarded })

describe('normalizeAddress', () => {
  it('keeps IPv4, unwraps IPv4-mapped IPv6, counts IPv6 per /64 and refuses anything else', () => {
    expect(normalizeAddress('203.0.113.7')).toBe('203.0.113.7')
    expect(normalizeAddress('::ffff:203.0.113.7')).toBe('203.0.113.7')
    expect(normalizeAddress('2001:db8:1:2:3:4:5:6')).toBe('2001:db8:1:2::/64')
    expect(normalizeAddress('[2001:DB8:1:2::9]')).toBe('2001:db8:1:2::/64')
    expect(normalizeAddress('fe80::1%eth0')).toBe('fe80:0:0:0::/64')
    for (const junk of ['', 'unknown', '_hidden', '1.2.3', '999.1.1.1', 'x'.repeat(5000)]) {
      expect(normalizeAddress(junk)).toBeNull()
    }
  })

  it('drops the port of ip:port and [v6]:port, as some gateways append it', () => {
    expect(normalizeAddress('203.0.113.7:40001')).toBe('203.0.113.7')
    expect(normalizeAddress('[2001:db8::1]:443')).toBe('2001:db8:0:0::/64')
    expect(normalizeAddress('[::ffff:203.0.113.7]:8080')).toBe('203.0.113.7')
    // A bare IPv6 address is not read as address and port.
    expect(normalizeAddress('2001:db8::1:443')).toBe('2001:db8:0:0::/64')
    for (const junk of [
      '1.2.3.4:',
      '1.2.3.4:999999',
      '1.2.3.4:80:80',
      '[2001:db8::1]:x',
      '[1.2.3.4]:80',
    ]) {
      expect(normalizeAddress(junk)).toBeNull()
    }
  })
})

describe('clientAddressOf with X-Forwarded-For', () => {
  it('is the socket address unless proxies are trusted', () => {
    expect(clientAddressOf(xff('::ffff:10.0.0.2', '6.6.6.6'), 0)).toBe('10.0.0.2')
  })

  it('takes the Nth entry from the right', () => {
    const header = '6.6.6.6, 203.0.113.7, 10.0.0.1'
    expect(clientAddressOf(xff('10.0.0.2', header), 1)).toBe('10.0.0.1')
    expect(clientAddressOf(xff('10.0.0.2', header), 2)).toBe('203.0.113.7')
  })

  it('counts the entry the trusted proxy appended with its port, not the client-written one to its left', () => {
    expect(clientAddressOf(xff('10.0.0.2', '6.6.6.6, 203.0.113.7:40001'), 1)).toBe('203.0.113.7')
    expect(clientAddressOf(xff('10.0.0.2', '6.6.6.6, [2001:db8::1]:443'), 1)).toBe(
      '2001:db8:0:0::/64',
    )
    expect(clientAddressOf(xff('10.0.0.2', '6.6.6.6, 203.0.113.7:40001, 10.0.0.1:5555'), 2)).toBe(
      '203.0.113.7',
    )
  })

  it('an entry that is not an address keeps its place: the nearest trusted address to its right counts, never one further left', () => {
    expect(clientAddressOf(xff('10.0.0.2', '6.6.6.6, junk, 203.0.113.7'), 2)).toBe('203.0.113.7')
    expect(clientAddressOf(xff('10.0.0.2', '6.6.6.6, unknown'), 1)).toBe('10.0.0.2')
  })

  it('falls back to the left-most entry when there are fewer than N, and to the socket with none', () => {
    expect(clientAddressOf(xff('10.0.0.2', '203.0.113.7'), 3)).toBe('203.0.113.7')
    expect(clientAddressOf(xff('10.0.0.2', 'junk, more junk'), 1)).toBe('10.0.0.2')
    expect(clientAddressOf(ctx('10.0.0.2'), 1)).toBe('10.0.0.2')
  })

  it('ignores a Forwarded header the client wrote when the proxies write X-Forwarded-For', () => {
    const request = ctx('10.0.0.2', {
      Forwarded: 'for=198.51.100.1',
      'X-Forwarded-For': '203.0.113.7',
    })
    expect(clientAddressOf(request, 1)).toBe('203.0.113.7')
    expect(clientAddressOf(ctx('10.0.0.2', { Forwarded: 'for=198.51.100.1' }), 1)).toBe('10.0.0.2')
  })
})

describe('clientAddressOf with RFC 7239 Forwarded', () => {
  it('reads for= of the Nth element from the right: plain, quoted, with ports, any case', () => {
    expect(clientAddressOf(fwd('10.0.0.2', 'for=6.6.6.6, for=203.0.113.7'), 1, 'forwarded')).toBe(
      '203.0.113.7',
    )
    expect(
      clientAddressOf(fwd('10.0.0.2', 'for=6.6.6.6, For="[2001:db8::1]:4711"'), 1, 'forwarded'),
    ).toBe('2001:db8:0:0::/64')
    expect(
      clientAddressOf(
        fwd('10.0.0.2', 'for=6.6.6.6, for="203.0.113.7:40001";proto=https;by=10.0.0.1'),
        1,
        'forwarded',
      ),
    ).toBe('203.0.113.7')
    expect(
      clientAddressOf(
        fwd('10.0.0.2', 'for=6.6.6.6;host=a, for=203.0.113.7;proto=https, for=10.0.0.1'),
        2,
        'forwarded',
      ),
    ).toBe('203.0.113.7')
  })

  it('keeps commas and semicolons inside a quoted value in their element', () => {
    // The client's quoted value must not split into an element of its own at the right end.
    const header = 'for="6.6.6.6, for=1.1.1.1";by=x, for=203.0.113.7'
    expect(clientAddressOf(fwd('10.0.0.2', header), 1, 'forwarded')).toBe('203.0.113.7')
    expect(clientAddressOf(fwd('10.0.0.2', header), 2, 'forwarded')).toBe('203.0.113.7')
  })

  it('treats obfuscated identifiers, unknown and an element without for= as not an address, without shifting', () => {
    for (const element of ['for=unknown', 'for=_hidden', 'for="_gazonk"', 'proto=https']) {
      expect(clientAddressOf(fwd('10.0.0.2', `for=6.6.6.6, ${element}`), 1, 'forwarded')).toBe(
        '10.0.0.2',
      )
      expect(
        clientAddressOf(fwd('10.0.0.2', `for=6.6.6.6, ${element}, for=10.0.0.1`), 2, 'forwarded'),
      ).toBe('10.0.0.1')
    }
  })

  it('ignores an X-Forwarded-For the client wrote when the proxies write Forwarded', () => {
    const request = ctx('10.0.0.2', { 'X-Forwarded-For': '6.6.6.6', Forwarded: 'for=203.0.113.7' })
    expect(clientAddressOf(request, 1, 'forwarded')).toBe('203.0.113.7')
  })
})

describe('forwardedOrigin: the host and protocol the outermost trusted proxy forwarded', () => {
  it('one trusted hop: the right-most X-Forwarded-Host/-Proto, not the client-written left-most', () => {
    const request = ctx('10.0.0.2', {
      'X-Forwarded-Host': 'evil.example, auth.example.com',
      'X-Forwarded-Proto': 'http, https',
    })
    expect(forwardedOrigin(request, { trustedHops: 1 })).toEqual({
      host: 'auth.example.com',
      proto: 'https',
    })
  })

  it('two trusted hops: the second from the right', () => {
    const request = ctx('10.0.0.2', {
      'X-Forwarded-Host': 'evil.example, auth.example.com, auth.internal',
      'X-Forwarded-Proto': 'http, https, http',
    })
    expect(forwardedOrigin(request, { trustedHops: 2 })).toEqual({
      host: 'auth.example.com',
      proto: 'https',
    })
  })

  it('a proxy that sets rather than appends: the one value, whatever the hop count', () => {
    const request = ctx('10.0.0.2', { 'X-Forwarded-Host': 'auth.example.com' })
    expect(forwardedOrigin(request, { trustedHops: 2 }).host).toBe('auth.example.com')
  })

  it('Forwarded host= and proto=, read from the right like for=', () => {
    const request = ctx('10.0.0.2', {
      Forwarded:
        'for=6.6.6.6;host=evil.example;proto=http, for=203.0.113.7;host="auth.example.com:8443";proto=HTTPS',
      'X-Forwarded-Host': 'evil.example',
    })
    expect(forwardedOrigin(request, { trustedHops: 1, header: 'forwarded' })).toEqual({
      host: 'auth.example.com:8443',
      proto: 'https',
    })
  })

  it('nothing without trusted hops, and nothing for values that are not a host or http(s)', () => {
    const forged = ctx('10.0.0.2', {
      'X-Forwarded-Host': 'auth.example.com',
      'X-Forwarded-Proto': 'https',
    })
    expect(forwardedOrigin(forged, { trustedHops: 0 })).toEqual({ host: null, proto: null })
    const junk = ctx('10.0.0.2', {
      'X-Forwarded-Host': 'evil.example/path',
      'X-Forwarded-Proto': 'javascript',
    })
    expect(forwardedOrigin(junk, { trustedHops: 1 })).toEqual({ host: null, proto: null })
    const user = ctx('10.0.0.2', { 'X-Forwarded-Host': 'auth.example.com@evil.example' })
    expect(forwardedOrigin(user, { trustedHops: 1 }).host).toBeNull()
  })
})
