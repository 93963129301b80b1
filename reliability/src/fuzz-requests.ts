import { MAX_BODY_BYTES, ROUTES, sessionPath } from '@refresh-kit/shared'
import fc from 'fast-check'

/** One generated request. */
export interface FuzzRequest {
  method: string
  path: string
  headers: Record<string, string>
  /** Sent as is; `undefined` for no body. */
  body: string | Buffer | undefined
  /** What the generator meant to exercise, for the report. */
  label: string
}

/** Real tokens the generators cut, flip and misplace. */
export interface FuzzSeeds {
  accessToken: string
  refreshToken: string
}

const METHODS = ['GET', 'POST', 'DELETE', 'PUT', 'PATCH', 'HEAD', 'OPTIONS'] as const

/** Header values must be latin1 without control characters; unicode goes in as its UTF-8 bytes. */
const asHeaderValue = (text: string): string =>
  [...Buffer.from(text, 'utf8').toString('latin1')]
    .filter((char) => {
      const code = char.charCodeAt(0)
      return code === 0x09 || (code >= 0x20 && code !== 0x7f)
    })
    .join('')

/** Percent-encodes the UTF-8 bytes of any string, lone surrogates included (as U+FFFD). */
const percentEncode = (text: string): string =>
  [...Buffer.from(text, 'utf8')]
    .map((byte) =>
      /[A-Za-z0-9._~-]/.test(String.fromCharCode(byte))
        ? String.fromCharCode(byte)
        : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`,
    )
    .join('')

/** Strings that test parsers: unicode of every plane, escapes, NUL, lookalikes, RTL marks. */
const nastyString = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 80 }),
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    'ａｄｍｉｎ',
    'admin\u202e',
    '💥'.repeat(40),
    '__proto__',
    'constructor',
    '../../etc/passwd',
    '%00',
    '"; DROP TABLE users; --',
    '\ud800',
    'a'.repeat(65),
    'a'.repeat(1025),
  ),
)

/** Any JSON value, wrong types included, with some big and deep ones. */
const anyJson: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 5, arbitrary: fc.jsonValue({ maxDepth: 4 }) },
  { weight: 2, arbitrary: nastyString },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 1, max: 3_000 }).map((depth) => {
      let value: unknown = 'x'
      for (let i = 0; i < depth; i++) value = i % 2 === 0 ? [value] : { a: value }
      return value
    }),
  },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 40_000 }).map((n) => 'z'.repeat(n)) },
  { weight: 1, arbitrary: fc.constantFrom(null, true, 0, -1, 1e308, Number.MAX_SAFE_INTEGER + 2) },
)

function mutations(token: string): fc.Arbitrary<string> {
  return fc.oneof(
    fc.constant(token),
    fc.nat({ max: Math.max(0, token.length - 1) }).map((n) => token.slice(0, n)),
    fc
      .tuple(fc.nat({ max: token.length - 1 }), fc.constantFrom('A', '-', '.', '_', '=', '%', ' '))
      .map(([at, char]) => `${token.slice(0, at)}${char}${token.slice(at + 1)}`),
    fc.constant(`${token}${token}`),
    fc.constant(token.toUpperCase()),
    fc.constant(token.split('.').reverse().join('.')),
  )
}

function tokenLike(seeds: FuzzSeeds): fc.Arbitrary<string> {
  return fc.oneof(
    mutations(seeds.accessToken),
    mutations(seeds.refreshToken),
    fc.string({ maxLength: 600 }),
    fc.base64String({ maxLength: 600 }),
    fc
      .array(fc.base64String({ maxLength: 60 }), { minLength: 1, maxLength: 6 })
      .map((parts) => parts.join('.').replace(/[+/=]/g, '_')),
    fc.constantFrom('rk1....', 'rk1.a.b.-1.x', 'rk1.a.b.99999999999999999999.x', 'a.b.c', '..'),
  )
}

function authorization(seeds: FuzzSeeds): fc.Arbitrary<string | undefined> {
  return fc.oneof(
    fc.constant(undefined),
    tokenLike(seeds).map((token) => `Bearer ${token}`),
    tokenLike(seeds).map((token) => `bearer  ${token}  `),
    fc.constantFrom('Bearer', 'Bearer ', 'Basic YWRhOnB3', 'Bearer a b', 'Token abc', ''),
    nastyString,
  )
}

function body(seeds: FuzzSeeds): fc.Arbitrary<{ body: string | Buffer | undefined; kind: string }> {
  const json = (value: unknown, kind: string) => ({ body: JSON.stringify(value), kind })
  return fc.oneof(
    { weight: 2, arbitrary: fc.constant({ body: undefined, kind: 'no body' }) },
    {
      weight: 4,
      arbitrary: fc
        .record({ username: anyJson, password: anyJson }, { requiredKeys: [] })
        .map((value) => json(value, 'credentials of any type')),
    },
    {
      weight: 2,
      arbitrary: fc
        .record({
          username: fc.stringMatching(/^[A-Za-z0-9._@-]{3,64}$/),
          password: fc.string({ minLength: 8, maxLength: 40 }),
        })
        .map((value) => json(value, 'well-formed credentials')),
    },
    {
      weight: 4,
      arbitrary: fc
        .oneof(tokenLike(seeds), anyJson)
        .map((refreshToken) => json({ refreshToken }, 'refresh token of any type')),
    },
    { weight: 3, arbitrary: anyJson.map((value) => json(value, 'any JSON')) },
    {
      weight: 1,
      arbitrary: fc
        .integer({ min: MAX_BODY_BYTES - 64, max: MAX_BODY_BYTES * 4 })
        .map((size) =>
          json({ username: 'a'.repeat(size), password: 'b' }, 'body near or over 16 KiB'),
        ),
    },
    {
      weight: 1,
      arbitrary: fc.integer({ min: 100, max: 8_000 }).map((depth) => ({
        body: `${'['.repeat(depth)}${']'.repeat(depth)}`,
        kind: 'deeply nested arrays',
      })),
    },
    {
      weight: 2,
      arbitrary: fc.tuple(anyJson, fc.nat({ max: 200 })).map(([value, cut]) => ({
        body: JSON.stringify({ refreshToken: value }).slice(0, cut),
        kind: 'truncated JSON',
      })),
    },
    { weight: 2, arbitrary: nastyString.map((text) => ({ body: text, kind: 'text' })) },
    {
      weight: 1,
      arbitrary: fc
        .uint8Array({ maxLength: 512 })
        .map((bytes) => ({ body: Buffer.from(bytes), kind: 'random bytes' })),
    },
  )
}

const contentType = fc.oneof(
  { weight: 6, arbitrary: fc.constant('application/json') },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/json; charset=latin1',
      'application/json; charset=utf-16',
      'application/vnd.api+json',
      'application/json; charset=utf-8',
      '*/*',
      'garbage',
    ),
  },
  { weight: 1, arbitrary: fc.constant(undefined) },
)

/** Each route with the method it answers, so most requests get past routing. */
const ROUTE_METHODS: readonly (readonly [string, string])[] = [
  ['POST', ROUTES.register],
  ['POST', ROUTES.login],
  ['POST', ROUTES.refresh],
  ['POST', ROUTES.logout],
  ['POST', ROUTES.logoutAll],
  ['GET', ROUTES.me],
  ['GET', ROUTES.sessions],
  ['GET', ROUTES.jwks],
  ['GET', ROUTES.healthz],
  ['GET', ROUTES.readyz],
]

const path = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.constantFrom(...ROUTE_METHODS.map(([, route]) => route)),
  },
  {
    weight: 2,
    arbitrary: nastyString.map((id) => sessionPath('ID').replace('ID', percentEncode(id))),
  },
  {
    weight: 1,
    arbitrary: fc
      .array(nastyString, { maxLength: 4 })
      .map((parts) => `/${parts.map((part) => percentEncode(part)).join('/')}`),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '/auth/me?x=1',
      '/auth/login/',
      '/AUTH/LOGIN',
      '//auth//me',
      '/auth/%2e%2e/me',
      '/auth/sessions/%00',
      '/auth/sessions/..%2f..%2f',
      '/auth/sessions/%E0%80',
      '/auth/sessions/%',
    ),
  },
)

/**
 * Requests of every kind the token server may meet: each route and some that are not, every
 * method, random and real-but-mangled tokens in `Authorization` and in refresh bodies, JSON of
 * every type, huge and deeply nested values, unicode, non-JSON bodies and content types, and
 * large headers (up to 12 KiB, under Node's 16 KiB header limit).
 *
 * @example
 * ```ts
 * fc.sample(fuzzRequest(seeds), 10_000)
 * ```
 */
export function fuzzRequest(seeds: FuzzSeeds): fc.Arbitrary<FuzzRequest> {
  return fc
    .record({
      route: fc.oneof(
        { weight: 6, arbitrary: fc.constantFrom(...ROUTE_METHODS) },
        { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...METHODS), path) },
        {
          weight: 1,
          arbitrary: fc
            .string({ maxLength: 40 })
            .map((id) => ['DELETE', sessionPath('ID').replace('ID', percentEncode(id))] as const),
        },
      ),
      authorization: authorization(seeds),
      contentType,
      payload: body(seeds),
      userAgent: fc.option(nastyString, { nil: undefined }),
      bigHeader: fc.option(fc.integer({ min: 1, max: 12 * 1024 }), { nil: undefined, freq: 8 }),
      forwardedFor: fc.option(nastyString, { nil: undefined, freq: 8 }),
    })
    .map(
      ({
        route: [method, path],
        authorization,
        contentType,
        payload,
        userAgent,
        bigHeader,
        forwardedFor,
      }) => {
        const headers: Record<string, string> = {}
        if (authorization !== undefined) headers.authorization = asHeaderValue(authorization)
        if (contentType !== undefined && payload.body !== undefined)
          headers['content-type'] = contentType
        if (userAgent !== undefined) headers['user-agent'] = asHeaderValue(userAgent)
        if (bigHeader !== undefined) headers['x-padding'] = 'p'.repeat(bigHeader)
        if (forwardedFor !== undefined) headers['x-forwarded-for'] = asHeaderValue(forwardedFor)
        return {
          method,
          path,
          headers,
          body: method === 'GET' || method === 'HEAD' ? undefined : payload.body,
          label: payload.kind,
        }
      },
    )
}
