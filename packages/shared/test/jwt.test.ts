import { describe, expect, it } from 'vitest'
import { decodeJwtPayload } from '../src/index.js'

const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
const jwt = (payload: unknown) =>
  `${encode({ alg: 'HS256', typ: 'at+jwt' })}.${encode(payload)}.sig`

describe('decodeJwtPayload', () => {
  it('reads the claims of a token', () => {
    const claims = { sub: 'u1', sid: 's1', exp: 1_900_000_000, username: 'ada' }
    expect(decodeJwtPayload(jwt(claims))).toEqual(claims)
  })

  it('decodes UTF-8 and every base64url character', () => {
    // '??>' and '~~~' encode to base64url with '-' and '_' in them.
    const claims = { name: 'Zoë 😀', a: '??>', b: '~~~' }
    const token = jwt(claims)
    expect(token.split('.')[1]).toMatch(/[-_]/)
    expect(decodeJwtPayload(token)).toEqual(claims)
  })

  it('decodes payloads of every padding length', () => {
    for (const text of ['a', 'ab', 'abc', 'abcd']) {
      expect(decodeJwtPayload(jwt({ text }))).toEqual({ text })
    }
  })

  it.each([
    ['two parts', 'a.b'],
    ['an empty payload', 'a..c'],
    ['a non-base64url payload', 'a.***.c'],
    ['an impossible length', 'a.abcde.c'],
    ['a payload that is not JSON', `a.${Buffer.from('not json').toString('base64url')}.c`],
    ['a JSON array payload', `a.${encode([1, 2])}.c`],
    ['a JSON null payload', `a.${encode(null)}.c`],
    ['invalid UTF-8', `a.${Buffer.from([0xff, 0xfe]).toString('base64url')}.c`],
  ])('rejects %s with a TypeError', (_name, token) => {
    expect(() => decodeJwtPayload(token)).toThrow(TypeError)
  })
})
