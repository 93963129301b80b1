import { ConfigError } from '../config/config-error.js'
import { oneLine, show } from '../lib/text.js'
import { ACCESS_TOKEN_ALGORITHMS, type AccessTokenAlgorithm } from './algorithms.js'
import { createSigningKeySet, type PrivateJwk, privateJwkOf } from './signing-keys.js'

/** The key files of `JWT_KEYS_FILE` and `JWT_PRIVATE_KEY_FILE`, `null` when unset. */
export interface KeyFiles {
  keysFile: string | null
  pemFile: string | null
}

/**
 * The private keys an asymmetric `algorithm` signs with, read from the key file the
 * configuration names and checked against it; empty with HS256.
 *
 * @throws ConfigError naming the variable of the file at fault.
 */
export function readSigningJwks(
  algorithm: AccessTokenAlgorithm,
  { keysFile, pemFile }: KeyFiles,
  readFile: (path: string) => string,
): PrivateJwk[] {
  if (keysFile !== null && pemFile !== null) {
    throw new ConfigError('JWT_PRIVATE_KEY_FILE', 'cannot be set together with JWT_KEYS_FILE')
  }
  const variable = keysFile === null ? 'JWT_PRIVATE_KEY_FILE' : 'JWT_KEYS_FILE'
  const path = keysFile ?? pemFile
  if (algorithm === 'HS256') {
    // A key file with the default algorithm is a forgotten JWT_ALGORITHM, not a wish for HS256.
    if (path !== null) {
      const asymmetric = ACCESS_TOKEN_ALGORITHMS.filter((alg) => alg !== 'HS256').join(' or ')
      throw new ConfigError(variable, `needs JWT_ALGORITHM set to ${asymmetric} (it is HS256)`)
    }
    return []
  }
  if (path === null) {
    throw new ConfigError(
      'JWT_ALGORITHM',
      `${algorithm} needs JWT_KEYS_FILE or JWT_PRIVATE_KEY_FILE`,
    )
  }
  let content: string
  try {
    content = readFile(path)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message
    throw new ConfigError(variable, `cannot be read (${show(path)}): ${oneLine(String(code))}`)
  }
  let jwks: PrivateJwk[]
  try {
    if (keysFile === null) {
      jwks = [privateJwkOf(content)]
    } else {
      let document: unknown
      try {
        document = JSON.parse(content)
      } catch (error) {
        throw new TypeError(`is not valid JSON: ${(error as Error).message}`)
      }
      const keys = (document as { keys?: unknown } | null)?.keys
      if (!Array.isArray(keys)) throw new TypeError('must hold a JWK set: { "keys": [ ... ] }')
      jwks = keys as PrivateJwk[]
    }
    // Built here once to check them, so a wrong key stops the start with its name.
    createSigningKeySet(algorithm, jwks)
  } catch (error) {
    if (!(error instanceof TypeError)) throw error
    throw new ConfigError(variable, oneLine(error.message))
  }
  return jwks
}
