import { readFileSync } from 'node:fs'
import { ROUTES } from '@refresh-kit/shared'
import {
  changePasswordRequestSchema,
  cookieTokenResponseSchema,
  credentialsSchema,
  loginRequestSchema,
  refreshRequestSchema,
  schemaRegistry,
} from '@refresh-kit/shared/schemas'
import { Validator } from '@seriousme/openapi-schema-validator'
import Koa from 'koa'
import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { createAuthRouter } from '../../src/http/auth-router.js'
import { setup } from '../support/harness.js'
import { checkResponse } from '../support/openapi-check.js'

const committed = JSON.parse(
  readFileSync(new URL('../../openapi.json', import.meta.url), 'utf8'),
) as Record<string, unknown>
const serverPackage = JSON.parse(
  readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
) as { version: string; license: string }

type Parameter = { name: string; in: string }
type Operation = {
  security?: Record<string, string[]>[]
  parameters?: Parameter[]
  responses: Record<string, unknown>
}
const operations = Object.entries(committed.paths as Record<string, Record<string, Operation>>)
  .flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({ path, method, operation })),
  )
  .map(({ path, method, operation }) => ({ name: `${method.toUpperCase()} ${path}`, operation }))

describe('GET /openapi.json', () => {
  it('is a valid OpenAPI 3.1 document, the same as the committed copy', async () => {
    const { http } = setup()
    const res = await http.get('/openapi.json')
    expect(res.status).toBe(200)
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8')
    // The version too: the served document names the package that serves it.
    expect(res.body).toEqual(committed)
    expect(res.body.info.version).toBe(serverPackage.version)
    const result = await new Validator().validate(res.body)
    expect(result.errors).toBeUndefined()
    expect(result.valid).toBe(true)
    expect(res.body.openapi).toBe('3.1.0')
  })

  it('documents every route of the contract, its errors and the bearer scheme', () => {
    const paths = committed.paths as Record<string, Record<string, { responses: object }>>
    const documented = Object.keys(paths)
    for (const route of Object.values(ROUTES)) {
      expect(documented).toContain(route.replace(':id', '{id}'))
    }
    expect(Object.keys(paths['/auth/refresh']?.post?.responses ?? {}).sort()).toEqual(
      ['200', '400', '401', '403', '413', '415', '500', '503'].sort(),
    )
    expect(committed.components).toMatchObject({
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
    })
  })

  it('documents the cookie transport, the password change and the 429 and 503 answers', () => {
    type Operation = {
      parameters?: { name: string; in: string }[]
      requestBody?: { required?: boolean }
      responses: Record<string, { headers?: Record<string, unknown>; content?: unknown }>
    }
    const paths = committed.paths as Record<string, Record<string, Operation>>
    const schemas = (committed.components as { schemas: Record<string, { properties?: object }> })
      .schemas
    expect(Object.keys(schemas.CookieTokenResponse?.properties ?? {})).not.toContain('refreshToken')
    for (const route of ['/auth/login', '/auth/refresh', '/auth/logout']) {
      const post = paths[route]?.post
      expect(post?.parameters).toContainEqual(
        expect.objectContaining({ name: 'X-Refresh-Token-Transport', in: 'header' }),
      )
      const success = post?.responses[route === '/auth/logout' ? '204' : '200']
      expect(Object.keys(success?.headers ?? {})).toContain('Set-Cookie')
    }
    expect(JSON.stringify(paths['/auth/login']?.post?.responses['200']?.content)).toContain(
      '#/components/schemas/CookieTokenResponse',
    )
    for (const route of ['/auth/refresh', '/auth/logout']) {
      expect(paths[route]?.post?.requestBody?.required).toBe(false)
      expect(JSON.stringify(paths[route]?.post?.responses['403'])).toContain('csrf_rejected')
    }
    const password = paths['/auth/password']?.post
    expect(Object.keys(password?.responses ?? {})).toEqual(
      expect.arrayContaining(['204', '401', '429', '503']),
    )
    for (const route of ['/auth/register', '/auth/login']) {
      expect(Object.keys(paths[route]?.post?.responses ?? {})).toEqual(
        expect.arrayContaining(['429', '503']),
      )
    }
  })

  it("names the server package's version, its license and the root of the routes", () => {
    expect(committed.info).toMatchObject({
      version: serverPackage.version,
      license: { identifier: serverPackage.license },
    })
    const license = readFileSync(new URL('../../../../LICENSE', import.meta.url), 'utf8')
    expect(license.split('\n')[0]).toBe(`${serverPackage.license} License`)
    expect(committed.servers).toEqual([{ url: '/' }])
  })

  it('declares the refresh cookie on refresh and logout, and the device cookie on login', () => {
    const parameters = (name: string) =>
      operations.find((entry) => entry.name === name)?.operation.parameters ?? []
    for (const name of ['POST /auth/refresh', 'POST /auth/logout']) {
      expect(parameters(name), name).toContainEqual(
        expect.objectContaining({ name: 'rk_refresh', in: 'cookie', required: false }),
      )
      expect(parameters(name), name).toContainEqual(
        expect.objectContaining({ name: 'X-Refresh-Token-Transport', in: 'header' }),
      )
    }
    expect(parameters('POST /auth/login')).toContainEqual(
      expect.objectContaining({ name: 'rk_device', in: 'cookie', required: false }),
    )
    const cookieReaders = operations
      .filter(({ operation }) => operation.parameters?.some((p) => p.in === 'cookie'))
      .map(({ name }) => name)
    expect(cookieReaders.sort()).toEqual(
      ['POST /auth/login', 'POST /auth/logout', 'POST /auth/refresh'].sort(),
    )
  })

  it('gives every operation security: none, or the bearer scheme where a missing token is refused', () => {
    const schemes = Object.keys(
      (committed.components as { securitySchemes: Record<string, unknown> }).securitySchemes,
    )
    expect(operations.length).toBeGreaterThan(10)
    for (const { name, operation } of operations) {
      expect(Array.isArray(operation.security), `${name} declares its security`).toBe(true)
      const requirements = operation.security ?? []
      for (const requirement of requirements) {
        for (const scheme of Object.keys(requirement)) expect(schemes, name).toContain(scheme)
      }
      const refusesMissingToken = JSON.stringify(operation.responses['401'] ?? {}).includes(
        '"missing_token"',
      )
      expect(requirements.length > 0, `${name} takes an access token`).toBe(refusesMissingToken)
    }
  })

  it('describes each component as the schema registry does', () => {
    const schemas = (committed.components as { schemas: Record<string, { description?: string }> })
      .schemas
    const described = [
      credentialsSchema,
      loginRequestSchema,
      changePasswordRequestSchema,
      refreshRequestSchema,
      cookieTokenResponseSchema,
    ]
    for (const schema of described) {
      const meta = schemaRegistry.get(schema)
      expect(meta?.description, meta?.id).toBeDefined()
      expect(schemas[meta?.id ?? '']?.description, meta?.id).toBe(meta?.description)
    }
  })

  it('leaves registration out where the user adapter cannot create users', async () => {
    const { http } = setup({
      users: { authenticate: async () => null, findById: async () => null },
    })
    const res = await http.get('/openapi.json')
    expect(Object.keys(res.body.paths)).not.toContain('/auth/register')
    expect((await new Validator().validate(res.body)).valid).toBe(true)
  })

  it('names its prefix as the server URL when mounted under one', async () => {
    const { tokens, store } = setup()
    const app = new Koa()
    const router = createAuthRouter({ auth: tokens, store, prefix: '/identity' })
    app.use(router.routes()).use(router.allowedMethods())
    const res = await request(app.callback()).get('/identity/openapi.json')
    expect(res.status).toBe(200)
    expect(res.body.servers).toEqual([{ url: '/identity' }])
    expect((await new Validator().validate(res.body)).valid).toBe(true)
  })
})

describe('the response check every server test runs', () => {
  const ok = {
    method: 'POST',
    url: 'http://127.0.0.1:1/auth/login',
    status: 200,
    contentType: 'application/json; charset=utf-8',
    text: '{}',
  }
  const pair = {
    accessToken: 'a.b.c',
    refreshToken: 'r',
    tokenType: 'Bearer',
    expiresIn: 900,
    refreshExpiresIn: 604800,
  }

  it('accepts a documented answer', () => {
    expect(checkResponse({ ...ok, body: pair })).toBeNull()
    expect(
      checkResponse({
        ...ok,
        url: '/auth/sessions/abc',
        method: 'DELETE',
        status: 204,
        body: {},
        text: '',
      }),
    ).toBeNull()
  })

  it('flags a missing field, an extra field, an unknown status and an unknown error code', () => {
    const { refreshExpiresIn: _gone, ...missing } = pair
    expect(checkResponse({ ...ok, body: missing })).toMatch(/refreshExpiresIn/)
    expect(checkResponse({ ...ok, body: { ...pair, password: 'leak' } })).toMatch(/additional/)
    expect(checkResponse({ ...ok, status: 418, body: pair })).toMatch(/not documented/)
    expect(checkResponse({ ...ok, status: 401, body: { error: 'made_up', message: 'x' } })).toMatch(
      /enum|allowed/,
    )
    expect(
      checkResponse({ ...ok, status: 401, body: { error: 'refresh_token_reused', message: 'x' } }),
    ).toMatch(/enum|allowed/)
  })
})
