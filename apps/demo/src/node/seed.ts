import { ROUTES } from '@refresh-kit/shared'

/**
 * Registers a user through the API; an existing user (`409 user_exists`) is fine, so a
 * restarted demo on a persistent Redis keeps working.
 *
 * @example
 * ```ts
 * await seedUser('http://127.0.0.1:3000', { username: 'demo', password: 'demo horse battery' })
 * ```
 */
export async function seedUser(
  apiUrl: string,
  user: { username: string; password: string },
): Promise<'created' | 'existed'> {
  const response = await fetch(new URL(ROUTES.register, apiUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(user),
  })
  if (response.status === 201) return 'created'
  if (response.status === 409) return 'existed'
  throw new Error(`seeding ${user.username} failed: ${response.status} ${await response.text()}`)
}

/**
 * Polls `GET /healthz` until the token server answers, or throws after `timeoutMs`.
 *
 * @example
 * ```ts
 * await waitForHealthy('http://127.0.0.1:3000')
 * ```
 */
export async function waitForHealthy(
  apiUrl: string,
  options: { timeoutMs?: number; isAlive?: () => boolean } = {},
): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 20_000)
  while (Date.now() < deadline) {
    if (options.isAlive !== undefined && !options.isAlive()) {
      throw new Error('the token server exited before it answered')
    }
    try {
      const response = await fetch(new URL(ROUTES.healthz, apiUrl))
      if (response.ok) return
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 150))
  }
  throw new Error(`the token server did not answer ${ROUTES.healthz} at ${apiUrl} in time`)
}
