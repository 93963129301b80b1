import { describe, expect, it } from 'vitest'
import { createRemoteJwks } from '../../src/access-tokens/remote-jwks.js'
import { createRefreshTransport } from '../../src/http/refresh-cookie.js'
import { createMemoryStore } from '../../src/store/memory-store.js'
import { createRedisStore } from '../../src/store/redis-store.js'

// A client shape that passes the store's own client check, so the options after it are reached.
const redis = { defineCommand: () => undefined, options: {} } as unknown as Parameters<
  typeof createRedisStore
>[0]['redis']
const jwksUri = 'https://auth.example/.well-known/jwks.json'

describe('options checked by the one validator, named in the TypeError', () => {
  it.each([
    [
      () => createMemoryStore({ userTtlSeconds: 0 }),
      'createMemoryStore: options.userTtlSeconds must be a positive number of seconds',
    ],
    [
      () => createMemoryStore({ sweepIntervalMs: -1 }),
      'createMemoryStore: options.sweepIntervalMs must be zero or a positive number of milliseconds',
    ],
    [
      () => createRedisStore({ redis, clock: 'wall' as 'redis' }),
      "createRedisStore: options.clock must be 'redis' or 'caller'",
    ],
    [
      () => createRedisStore({ redis, userTtlSeconds: Number.NaN }),
      'createRedisStore: options.userTtlSeconds must be a positive number of seconds',
    ],
    [
      () => createRemoteJwks({ jwksUri, timeoutMs: 0 }),
      'createRemoteJwks: options.timeoutMs must be an integer >= 1',
    ],
    [
      () => createRemoteJwks({ jwksUri, fetch: 'no' as unknown as typeof fetch }),
      'createRemoteJwks: options.fetch must be a function',
    ],
    [
      () => createRefreshTransport({ mode: 'header' as 'body' }),
      'createRefreshTransport: options.mode must be body, cookie or both',
    ],
    [
      () => createRefreshTransport({ behindProxy: -1 }),
      'createRefreshTransport: options.behindProxy must be a boolean or an integer >= 0',
    ],
  ])('refuses a bad option at construction (%#)', (construct, message) => {
    expect(construct).toThrow(new TypeError(message))
  })

  it('accepts the defaults', () => {
    expect(() => createMemoryStore({ sweepIntervalMs: 0 })).not.toThrow()
    expect(() => createRemoteJwks({ jwksUri })).not.toThrow()
    expect(() => createRefreshTransport()).not.toThrow()
  })
})
