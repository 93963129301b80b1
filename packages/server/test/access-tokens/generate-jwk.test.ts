import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { jwkThumbprint } from '../../src/access-tokens/jwk.js'
import { createSigningKeySet, type PrivateJwk } from '../../src/access-tokens/signing-keys.js'
import { privateJwk } from './fixtures.js'

const SCRIPT = fileURLToPath(new URL('../../scripts/generate-jwk.mjs', import.meta.url))
const run = promisify(execFile)
const generate = async (...args: string[]) =>
  JSON.parse((await run(process.execPath, [SCRIPT, ...args])).stdout) as unknown

describe('scripts/generate-jwk.mjs', () => {
  it.each(['ES256', 'RS256'] as const)(
    'prints a %s private key the key set accepts, its thumbprint as kid',
    async (algorithm) => {
      const jwk = (await generate(
        algorithm,
        ...(algorithm === 'RS256' ? ['--bits', '2048'] : []),
      )) as PrivateJwk
      expect(jwk).toMatchObject({ alg: algorithm, use: 'sig', kid: jwkThumbprint(jwk) })
      expect(jwk).not.toHaveProperty('status')
      const set = createSigningKeySet(algorithm, [jwk])
      expect(set.signing.kid).toBe(jwk.kid)
    },
  )

  it('--next prints a key that is published but does not sign; --set a whole set', async () => {
    const next = (await generate('ES256', '--next', '--kid', '2026-02')) as PrivateJwk
    expect(next).toMatchObject({ kid: '2026-02', status: 'next' })
    const set = createSigningKeySet('ES256', [privateJwk('ES256', { kid: 'current' }), next])
    expect(set.signing.kid).toBe('current')
    expect(set.keys.map((key) => key.kid)).toEqual(['current', '2026-02'])
    const file = (await generate('RS256', '--set', '--bits', '2048')) as { keys: PrivateJwk[] }
    expect(createSigningKeySet('RS256', file.keys).keys).toHaveLength(1)
  })

  it('exits 2 with the usage for an unknown algorithm or a weak RSA size', async () => {
    for (const args of [['PS256'], ['EdDSA'], ['RS256', '--bits', '1024'], []]) {
      const failure = await run(process.execPath, [SCRIPT, ...args]).catch(
        (error: unknown) => error,
      )
      expect(failure).toMatchObject({
        code: 2,
        stderr: expect.stringMatching(/^generate-jwk: .*\nusage:/),
      })
    }
  })
})
