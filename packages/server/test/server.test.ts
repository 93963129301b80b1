import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { loadConfig } from '../src/config/load.js'
import { silentLogger } from '../src/logger.js'
import { createServerFromConfig } from '../src/server.js'
import { cheapPasswords } from './support/harness.js'

describe('createServerFromConfig', () => {
  it('assembles a working server on the memory store when TOKEN_STORE=memory', async () => {
    const config = loadConfig({
      TOKEN_STORE: 'memory',
      ACCESS_TOKEN_TTL: '60',
      JWT_ISSUER: 'issuer-x',
    })
    const server = createServerFromConfig(config, {
      logger: silentLogger,
      passwords: cheapPasswords,
    })
    const http = request(server.app.callback())
    const credentials = { username: 'ada', password: 'correct horse battery' }
    await http.post('/auth/register').send(credentials).expect(201)
    const login = await http.post('/auth/login').send(credentials)
    expect(login.status).toBe(200)
    expect(login.body.expiresIn).toBe(60)
    expect(server.auth.verifyAccessToken(login.body.accessToken).claims.iss).toBe('issuer-x')
    await server.close()
  })

  it('never falls back to memory: the Redis store without a client is a TypeError', () => {
    expect(() => createServerFromConfig(loadConfig({}), { logger: silentLogger })).toThrow(
      /dependencies.redis is required/,
    )
  })
})
