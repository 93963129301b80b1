// The smallest cookie-mode app a newcomer writes: the SDK on the page's own origin, the dev
// server forwarding /auth/* to the token server. It shows what a user would see.
import { createAuthFetch, isAuthError } from '@refresh-kit/client-sdk/fetch'

const auth = createAuthFetch({ baseURL: location.origin, refreshTokenTransport: 'cookie' })

const element = (id: string) => document.getElementById(id) as HTMLElement
const status = element('status')
const show = (state: string, text: string, code = '') => {
  status.dataset.state = state
  status.dataset.code = code
  status.textContent = text
}
const failed = (error: unknown) =>
  isAuthError(error) ? show('error', error.message, error.code) : show('error', String(error))

// Failures the SDK reports as events, the way an app would log or show them.
const events: string[] = []
auth.on('refreshFailed', (error) => {
  events.push(`refreshFailed:${error.code}`)
  element('events').textContent = events.join(' ')
})
auth.on('sessionExpired', () => {
  events.push('sessionExpired')
  element('events').textContent = events.join(' ')
})

async function showUser(): Promise<void> {
  const me = await auth('/auth/me')
  const user = (await me.json()) as { username?: string }
  show('signed-in', `Signed in as ${user.username}`)
}

element('signin').addEventListener('submit', (event) => {
  event.preventDefault()
  const username = (element('username') as HTMLInputElement).value
  const password = (element('password') as HTMLInputElement).value
  auth.login({ username, password }).then(showUser).catch(failed)
})

auth
  .restore()
  .then((session) => (session === null ? show('signed-out', 'Signed out') : showUser()))
  .catch(failed)
  .finally(() => {
    document.body.dataset.ready = 'true'
  })
