import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { createApp } from '../../src/http/app.js'
import { setup } from '../support/harness.js'

/** Six wrong passwords, each request built by `headers(n)`: the statuses in order. */
async function guesses(
  http: ReturnType<typeof request>,
  username: string,
  headers: (n: number) => Record<string, string>,
): Promise<number[]> {
  const statuses: number[] = []
  for (let n = 0; n < 6; n += 1) {
    const res = await http
      .post('/auth/login')
      .set(headers(n))
      .send({ username, password: `wrong guess ${n}` })
    statuses.push(res.status)
  }
  return statuses
}

describe('createApp behind a proxy that writes RFC 7239 Forwarded (proxyHeader: forwarded)', () => {
  it("counts the proxy's for= entry, quoted and with a port, not the client's entries to its left nor a client-written X-Forwarded-For", async () => {
    const { tokens, store, signIn } = setup()
    const app = createApp({ auth: tokens, store, trustProxy: 1, proxyHeader: 'forwarded' })
    const http = request(app.callback())
    const { username, password } = await signIn()
    const statuses = await guesses(http, username, (n) => ({
      Forwarded: `for=198.51.100.${n + 1};proto=https, for="203.0.113.7:${40000 + n}"`,
      'X-Forwarded-For': `192.0.2.${n + 1}`,
    }))
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429])
    // The same (username, address) pair with the right password waits too; another address does not.
    const locked = await http
      .post('/auth/login')
      .set('Forwarded', 'for="[2001:db8::1]:1", for=203.0.113.7')
      .send({ username, password })
    expect(locked.status).toBe(429)
    const elsewhere = await http
      .post('/auth/login')
      .set('Forwarded', 'for=203.0.113.7, for="[2001:db8::1]:4711"')
      .send({ username, password })
    expect(elsewhere.status).toBe(200)
  })

  it('with the default x-forwarded, a client-written Forwarded buys no fresh address', async () => {
    const { tokens, store, signIn } = setup()
    const app = createApp({ auth: tokens, store, trustProxy: 1 })
    const http = request(app.callback())
    const { username } = await signIn()
    const statuses = await guesses(http, username, (n) => ({
      Forwarded: `for=198.51.100.${n + 1}`,
      'X-Forwarded-For': `6.6.6.${n}, 203.0.113.7:${40000 + n}`,
    }))
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429])
  })

  it('refuses an unknown proxyHeader at construction, naming the option', () => {
    const { tokens, store } = setup()
    expect(() =>
      createApp({ auth: tokens, store, proxyHeader: 'x-real-ip' as unknown as 'forwarded' }),
    ).toThrow(/proxyHeader/)
  })
})
