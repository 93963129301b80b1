import type { Context } from 'koa'
import { describe, expect, it } from 'vitest'
import { clientAddressOf, normalizeAddress } from '../../src/http/client-address.js'

function ctx(socket: string, forwardedFor?: string): Context {
  return {
    req: { socket: { remoteAddress: socket } },
    get: (name: string) => (name === 'X-Forwarded-For' ? (forwardedFor ?? '') : ''),
  } as unknown as Context
}

describe('normalizeAddress', () => {
  it('keeps IPv4, unwraps IPv4-mapped IPv6, counts IPv6 per /64 and refuses anything else', () => {
    expect(normalizeAddress('203.0.113.7')).toBe('203.0.113.7')
    expect(normalizeAddress('::ffff:203.0.113.7')).toBe('203.0.113.7')
    expect(normalizeAddress('2001:db8:1:2:3:4:5:6')).toBe('2001:db8:1:2::/64')
    expect(normalizeAddress('[2001:DB8:1:2::9]')).toBe('2001:db8:1:2::/64')
    expect(normalizeAddress('fe80::1%eth0')).toBe('fe80:0:0:0::/64')
    for (const junk of ['', 'unknown', '1.2.3', '999.1.1.1', '1.2.3.4:80', 'x'.repeat(5000)]) {
      expect(normalizeAddress(junk)).toBeNull()
    }
  })
})

describe('clientAddressOf', () => {
  it('is the socket address unless proxies are trusted', () => {
    expect(clientAddressOf(ctx('::ffff:10.0.0.2', '6.6.6.6'), 0)).toBe('10.0.0.2')
  })

  it('takes the Nth valid address from the right of X-Forwarded-For', () => {
    const header = '6.6.6.6, 203.0.113.7, 10.0.0.1'
    expect(clientAddressOf(ctx('10.0.0.2', header), 1)).toBe('10.0.0.1')
    expect(clientAddressOf(ctx('10.0.0.2', header), 2)).toBe('203.0.113.7')
    // Entries that are not IP addresses are skipped.
    expect(clientAddressOf(ctx('10.0.0.2', '6.6.6.6, junk, 203.0.113.7'), 2)).toBe('6.6.6.6')
  })

  it('falls back to the left-most valid entry when there are fewer than N, and to the socket with none', () => {
    expect(clientAddressOf(ctx('10.0.0.2', '203.0.113.7'), 3)).toBe('203.0.113.7')
    expect(clientAddressOf(ctx('10.0.0.2', 'junk, more junk'), 1)).toBe('10.0.0.2')
    expect(clientAddressOf(ctx('10.0.0.2'), 1)).toBe('10.0.0.2')
  })
})
