import { describe, expect, it } from 'vitest'
import { createUserAgentCache, userAgentDigest } from '../../../src/store/lib/user-agents.js'

describe('user-agent digests', () => {
  it('names a user agent by 12 base64url characters, the same each time, different for another', () => {
    const browser = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36'
    expect(userAgentDigest(browser)).toMatch(/^[A-Za-z0-9_-]{12}$/)
    expect(userAgentDigest(browser)).toBe(userAgentDigest(`${browser}`))
    expect(userAgentDigest(`${browser} `)).not.toBe(userAgentDigest(browser))
    expect(userAgentDigest('')).toMatch(/^[A-Za-z0-9_-]{12}$/)
  })
})

describe('user-agent cache', () => {
  it('holds at most its capacity, letting the least recently used go first', () => {
    const cache = createUserAgentCache(2)
    cache.set('a', 'agent a')
    cache.set('b', 'agent b')
    // Reading `a` makes `b` the least recently used.
    expect(cache.get('a')).toBe('agent a')
    cache.set('c', 'agent c')
    expect(cache.get('b')).toBeUndefined()
    expect(cache.get('a')).toBe('agent a')
    expect(cache.get('c')).toBe('agent c')
    cache.set('d', 'agent d')
    expect(cache.get('a')).toBeUndefined()
    expect([cache.get('c'), cache.get('d')]).toEqual(['agent c', 'agent d'])
  })
})
