#!/usr/bin/env node
// Prints a new private JWK for the token server's key set (JWT_KEYS_FILE), with its RFC 7638
// thumbprint as kid. Node built-ins only, so it runs anywhere the server runs.
//
//   node packages/server/scripts/generate-jwk.mjs ES256 --next   # a key to publish ahead
//   node packages/server/scripts/generate-jwk.mjs RS256 --set    # a whole set of one key
import { createHash, generateKeyPairSync } from 'node:crypto'
import { parseArgs } from 'node:util'

const USAGE = `usage: generate-jwk.mjs <ES256|RS256> [--next] [--set] [--kid <kid>] [--bits <n>]
  --next      mark the key "status": "next": published and verified, not signing yet
  --set       print a JWK set { "keys": [ ... ] } instead of one key
  --kid       the key id (default: the RFC 7638 thumbprint of the key)
  --bits      RSA modulus length for RS256 (default 3072, at least 2048)`

function fail(message) {
  process.stderr.write(`generate-jwk: ${message}\n${USAGE}\n`)
  process.exit(2)
}

let parsed
try {
  parsed = parseArgs({
    allowPositionals: true,
    options: {
      next: { type: 'boolean', default: false },
      set: { type: 'boolean', default: false },
      kid: { type: 'string' },
      bits: { type: 'string', default: '3072' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  })
} catch (error) {
  fail(error.message)
}
const { values, positionals } = parsed
if (values.help) {
  process.stdout.write(`${USAGE}\n`)
  process.exit(0)
}
if (positionals.length !== 1) fail('give exactly one algorithm')
const [algorithm] = positionals
const bits = Number(values.bits)
if (!Number.isSafeInteger(bits) || bits < 2048) fail('--bits must be a whole number >= 2048')
if (values.kid !== undefined && !/^[\x21-\x7e]{1,128}$/.test(values.kid)) {
  fail('--kid must be 1 to 128 printable characters without spaces')
}

const pairs = {
  ES256: () => generateKeyPairSync('ec', { namedCurve: 'P-256' }),
  RS256: () => generateKeyPairSync('rsa', { modulusLength: bits }),
}
if (!Object.hasOwn(pairs, algorithm)) fail(`unknown algorithm ${JSON.stringify(algorithm)}`)

const jwk = pairs[algorithm]().privateKey.export({ format: 'jwk' })
// RFC 7638 §3.2: the required public members, in lexicographic order.
const members = { EC: ['crv', 'kty', 'x', 'y'], RSA: ['e', 'kty', 'n'] }
const canonical = Object.fromEntries(members[jwk.kty].map((name) => [name, jwk[name]]))
const thumbprint = createHash('sha256').update(JSON.stringify(canonical)).digest('base64url')
const key = {
  kid: values.kid ?? thumbprint,
  alg: algorithm,
  use: 'sig',
  ...(values.next ? { status: 'next' } : {}),
  ...jwk,
}
process.stdout.write(`${JSON.stringify(values.set ? { keys: [key] } : key, null, 2)}\n`)
