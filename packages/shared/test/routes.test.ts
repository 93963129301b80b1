import { expect, it } from 'vitest'
import { ROUTES, sessionPath } from '../src/index.js'

it('spells every route of the contract', () => {
  expect(ROUTES).toMatchObject({
    register: '/auth/register',
    login: '/auth/login',
    refresh: '/auth/refresh',
    logout: '/auth/logout',
    logoutAll: '/auth/logout-all',
    password: '/auth/password',
    me: '/auth/me',
    sessions: '/auth/sessions',
    jwks: '/.well-known/jwks.json',
    healthz: '/healthz',
    readyz: '/readyz',
  })
})

it('builds a session path with the id escaped', () => {
  expect(sessionPath('abc')).toBe('/auth/sessions/abc')
  expect(sessionPath('a/b')).toBe('/auth/sessions/a%2Fb')
})
