import { describe, expect, it } from 'vitest'
import { createTokenKeys } from '../../src/access-tokens/keys.js'
import { createApp } from '../../src/http/app.js'

const SECRET = 'x'.repeat(32)

describe('createApp and createTokenKeys options', () => {
  it('refuse a missing service or store, in the types and at run time', () => {
    // @ts-expect-error: the auth service and the store are required
    const bare = () => createApp({})
    expect(bare).toThrow(/options.auth is required/)
  })

  it('take a symmetric or an asymmetric key setup, never a mix', () => {
    const mixed = () =>
      // @ts-expect-error: HS256 takes no signing keys
      createTokenKeys({ algorithm: 'HS256', jwtSecret: SECRET, signingKeys: [] })
    expect(mixed).toThrow(/options.signingKeys needs an asymmetric algorithm/)
    const keyless = () =>
      // @ts-expect-error: ES256 needs its signing keys
      createTokenKeys({ algorithm: 'ES256', refreshTokenSecret: SECRET })
    expect(keyless).toThrow(/options.signingKeys is required with ES256/)
  })
})
