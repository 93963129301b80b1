import {
  createAuthClient,
  isAuthError,
  localStorageStorage,
  memoryStorage,
  type RefreshTokenTransport,
  type StoredTokens,
} from '@refresh-kit/client-sdk'
import { browserCoordinator } from '@refresh-kit/client-sdk/cross-tab'
import {
  decodeJwtPayload,
  type MeResponse,
  ROUTES,
  type SessionListResponse,
  sessionPath,
} from '@refresh-kit/shared'
import axios, { type AxiosError, type AxiosResponse, type InternalAxiosRequestConfig } from 'axios'
import { DEMO_CONFIG_PATH, DEMO_USER, type DemoConfig } from '../demo-config.js'
import { makeStale, type StaleMode } from '../stale-token.js'
import { createCustodyView } from './custody-view.js'
import { byId, el } from './dom.js'
import { renderSessions } from './sessions-view.js'
import { createTimeline } from './timeline.js'
import { createTokenView, refreshGeneration } from './token-view.js'
import './styles.css'

declare module 'axios' {
  interface AxiosRequestConfig {
    /** Groups the timeline lines of one burst, or of the heartbeat. */
    demoTag?: string
  }
}

/** Refresh 3 s before expiry: with 15 s tokens the default 30 s would refresh on every request. */
const LEEWAY_SECONDS = 3
const BURST_SIZE = 20
const HEARTBEAT_MS = 4000
const TOKENS_KEY = 'refresh-kit.tokens'

const params = new URLSearchParams(location.search)
/**
 * `cookie` (the default): the refresh token in the server's HttpOnly cookie, the access token
 * in this tab's memory. `?transport=body`: both in localStorage, as v1 did, to compare.
 */
const transport: RefreshTokenTransport = params.get('transport') === 'body' ? 'body' : 'cookie'
const cookieMode = transport === 'cookie'
if (cookieMode) {
  // Tokens a body-mode visit left behind are no session here: nothing of them stays readable.
  localStorage.removeItem(TOKENS_KEY)
}
const timeline = createTimeline(byId('timeline'))
const view = createTokenView({ leewaySeconds: LEEWAY_SECONDS, refreshTokenReadable: !cookieMode })
const custody = createCustodyView(transport)
const storage = cookieMode ? memoryStorage() : localStorageStorage({ key: TOKENS_KEY })
let refreshesSent = 0
/** Tokens this tab received itself (by refresh token, or access token in cookie mode); any other came from another tab. */
const ownTokens = new Set<string>()
const identity = (tokens: { accessToken?: unknown; refreshToken?: unknown }) =>
  String((cookieMode ? tokens.accessToken : tokens.refreshToken) ?? '')
const generationNote = (tokens: StoredTokens) =>
  cookieMode ? '' : ` (generation ${refreshGeneration(tokens.refreshToken)})`

const status = byId('status')
const answer = byId('answer')
const burstResult = byId('burst-result')
const heartbeat = byId<HTMLInputElement>('heartbeat')
heartbeat.checked = params.get('heartbeat') !== 'off'

function pathOf(config: InternalAxiosRequestConfig | undefined): string {
  const url = config?.url ?? ''
  return url.startsWith('http') ? new URL(url).pathname : url
}

function describe(config: InternalAxiosRequestConfig | undefined): string {
  return `${(config?.method ?? 'get').toUpperCase()} ${pathOf(config)}`
}

// Registered before the client's own interceptors: axios runs request interceptors in reverse
// order (so this one sees a request last, when it really leaves, with its final token) and
// response interceptors in order (so this one sees a 401 before the client handles it).
const http = axios.create({ baseURL: location.origin })
http.interceptors.request.use((config) => {
  const path = pathOf(config)
  if (path === ROUTES.refresh) {
    refreshesSent += 1
    byId('refresh-count').textContent =
      `${refreshesSent} refresh${refreshesSent === 1 ? '' : 'es'} sent from this tab`
    timeline.add('refresh', `→ POST ${ROUTES.refresh}: rotating the refresh token`)
  } else if (config.demoTag !== 'heartbeat') {
    // The client marks its replays skipAuthRefresh: a replay is never refreshed again.
    const replay = config.skipAuthRefresh === true ? 'replay' : 'sent'
    const tag = config.demoTag
    timeline.add(
      'request',
      `→ ${describe(config)}${tag === undefined ? '' : ` (${tag.replace(/-\d+$/, '')}${replay === 'replay' ? ' replay' : ''})`}`,
      tag === undefined ? {} : { key: `${tag}:${replay}` },
    )
  }
  return config
})
http.interceptors.response.use(
  (response: AxiosResponse) => {
    const path = pathOf(response.config)
    const data = response.data as Partial<StoredTokens> | undefined
    if ((path === ROUTES.refresh || path === ROUTES.login) && data !== undefined) {
      ownTokens.add(identity(data))
    }
    const tag = response.config.demoTag
    if (path !== ROUTES.refresh) {
      timeline.add(
        'response',
        `← ${response.status} ${describe(response.config)}${tag === 'heartbeat' ? ' (heartbeat)' : ''}`,
        tag === undefined ? {} : { key: `${tag}:${response.status}`, float: tag === 'heartbeat' },
      )
    }
    return response
  },
  (error: AxiosError<{ error?: string }> | Error) => {
    // Not an HTTP answer (the client refused to send, e.g. after the session expired): its
    // events already tell the story.
    if (!axios.isAxiosError<{ error?: string }>(error)) return Promise.reject(error)
    const tag = error.config?.demoTag
    const status = error.response?.status
    const code = error.response?.data?.error ?? error.code ?? 'network error'
    timeline.add(
      status === 401 ? 'unauthorized' : 'error',
      `← ${status ?? '×'} ${code} on ${describe(error.config)}`,
      tag === undefined ? {} : { key: `${tag}:${status}:${code}` },
    )
    return Promise.reject(error)
  },
)

const auth = createAuthClient({
  baseURL: location.origin,
  axios: http,
  storage,
  refreshTokenTransport: transport,
  coordinator: browserCoordinator(),
  leewaySeconds: LEEWAY_SECONDS,
})

function setState(state: 'signed-in' | 'signed-out' | 'expired', tokens: StoredTokens | null) {
  status.dataset.state = state
  let username: unknown
  try {
    username = tokens === null ? undefined : decodeJwtPayload(tokens.accessToken).username
  } catch {
    // A token broken on purpose still belongs to a signed-in user.
  }
  status.textContent =
    state === 'signed-in'
      ? `Signed in${typeof username === 'string' ? ` as ${username}` : ''}`
      : state === 'expired'
        ? 'Session expired'
        : 'Signed out'
  byId('signin-card').hidden = state === 'signed-in'
  byId('actions-card').hidden = state !== 'signed-in'
  byId('sessions-card').hidden = state !== 'signed-in'
  byId('expired-notice').hidden = state !== 'expired'
  document.body.dataset.state = state
}

/** Shows the stored tokens; cleared tokens keep an expired session's notice on screen. */
function show(tokens: StoredTokens | null) {
  view.show(tokens)
  custody.show(tokens)
  if (tokens !== null) setState('signed-in', tokens)
  else setState(status.dataset.state === 'expired' ? 'expired' : 'signed-out', null)
}

auth.on('tokens', (tokens) => {
  if (tokens !== null && !ownTokens.has(identity(tokens)) && status.dataset.state === 'signed-in') {
    timeline.add(
      'released',
      cookieMode
        ? 'Picked up the access token another tab received'
        : `Picked up the tokens another tab stored${generationNote(tokens)}`,
    )
    ownTokens.add(identity(tokens))
  }
  show(tokens)
})
auth.on('refresh', (event) => {
  if (event.phase === 'start') {
    timeline.add(
      'refresh',
      event.trigger === 'proactive'
        ? `Refresh started: the access token is within ${LEEWAY_SECONDS} s of expiry`
        : event.trigger === 'reactive'
          ? 'Refresh started: the server said the access token is no good'
          : event.trigger === 'restore'
            ? 'Restoring the session: the HttpOnly cookie goes to /auth/refresh'
            : 'Refresh started',
    )
  } else {
    timeline.add(
      'released',
      `${cookieMode ? 'New access token in memory, refresh cookie rotated' : 'New tokens stored'}${generationNote(event.tokens)}; ${event.released} waiting request${event.released === 1 ? '' : 's'} released`,
    )
  }
})
auth.on('refreshFailed', (error) => {
  timeline.add('error', `Refresh failed (${error.code}): tokens kept, the next request tries again`)
})
auth.on('sessionExpired', (error) => {
  const cause = isAuthError(error.cause) ? ` (${error.cause.code})` : ''
  timeline.add('expired', `Session expired${cause}: tokens cleared, sign in again`)
  setState('expired', null)
  view.show(null)
  custody.show(null)
})
auth.on('logout', () => {
  timeline.add('info', 'Signed out')
  setState('signed-out', null)
  view.show(null)
  custody.show(null)
})

// Another tab rewrote the shared tokens (the stale-token buttons): show what is stored now.
window.addEventListener('storage', (event) => {
  if (!cookieMode && event.key === TOKENS_KEY) {
    void storage.get().then((tokens) => view.show(tokens))
  }
})

function message(error: unknown): string {
  if (isAuthError(error)) return `${error.code}: ${error.message}`
  if (axios.isAxiosError(error)) {
    const body = error.response?.data as { error?: string; message?: string } | undefined
    return body?.message ?? error.message
  }
  return error instanceof Error ? error.message : String(error)
}

function busy(button: HTMLButtonElement, task: () => Promise<void>) {
  button.addEventListener('click', () => {
    button.disabled = true
    task()
      .catch((error: unknown) => timeline.add('error', message(error)))
      .finally(() => {
        button.disabled = false
      })
  })
}

const formError = byId('form-error')
async function signIn(credentials: { username: string; password: string }) {
  formError.hidden = true
  try {
    await auth.login(credentials)
    timeline.add('info', `Signed in as ${credentials.username}`)
    await loadSessions()
  } catch (error) {
    formError.textContent = message(error)
    formError.hidden = false
  }
}

function credentials() {
  return {
    username: byId<HTMLInputElement>('username').value.trim(),
    password: byId<HTMLInputElement>('password').value,
  }
}

byId('signin-form').addEventListener('submit', (event) => {
  event.preventDefault()
  void signIn(credentials())
})
busy(byId<HTMLButtonElement>('signup'), async () => {
  formError.hidden = true
  try {
    const user = await auth.register(credentials())
    timeline.add('info', `Account ${user.username} created`)
    await signIn(credentials())
  } catch (error) {
    formError.textContent = message(error)
    formError.hidden = false
  }
})
busy(byId<HTMLButtonElement>('demo-signin'), () => signIn(DEMO_USER))

busy(byId<HTMLButtonElement>('call-me'), async () => {
  try {
    const { data } = await auth.http.get<MeResponse>(ROUTES.me)
    answer.textContent = JSON.stringify(data, null, 2)
    answer.hidden = false
  } catch (error) {
    answer.textContent = message(error)
    answer.hidden = false
  }
})

let bursts = 0
busy(byId<HTMLButtonElement>('burst'), async () => {
  const mode = (document.querySelector<HTMLInputElement>('input[name="stale-mode"]:checked')
    ?.value ?? 'rewind') as StaleMode
  if (!(await makeStale(storage, mode))) return
  view.show(await storage.get())
  timeline.add(
    'info',
    mode === 'rewind'
      ? 'Access token expiry rewound locally'
      : 'Access token signature broken locally',
  )
  bursts += 1
  const tag = `burst-${bursts}`
  const before = refreshesSent
  const results = await Promise.allSettled(
    Array.from({ length: BURST_SIZE }, () =>
      auth.http.get<MeResponse>(ROUTES.me, { demoTag: tag }),
    ),
  )
  const ok = results.filter((result) => result.status === 'fulfilled').length
  const refreshes = refreshesSent - before
  burstResult.hidden = false
  burstResult.dataset.ok = String(ok === BURST_SIZE)
  burstResult.dataset.requests = String(BURST_SIZE)
  burstResult.dataset.succeeded = String(ok)
  burstResult.dataset.refreshes = String(refreshes)
  burstResult.textContent = `${BURST_SIZE} requests · ${ok} answered 200 · ${refreshes} refresh${refreshes === 1 ? '' : 'es'} sent`
})

busy(byId<HTMLButtonElement>('signout'), () => auth.logout())

busy(byId<HTMLButtonElement>('signout-all'), async () => {
  await auth.http.post(ROUTES.logoutAll)
  timeline.add(
    'info',
    'Every session revoked on the server, and its access tokens refused from now on',
  )
  // The access token is still within its lifetime: the server refuses it all the same, and
  // the refresh that follows is refused too.
  await auth.http.get(ROUTES.me).catch(() => {})
})

async function loadSessions() {
  const { data } = await auth.http.get<SessionListResponse>(ROUTES.sessions)
  renderSessions(data.sessions, (id) => {
    void auth.http
      .delete(sessionPath(id))
      .then(() => timeline.add('info', `Session ${id.slice(0, 12)} revoked on the server`))
      .then(loadSessions)
      .catch((error: unknown) => timeline.add('error', message(error)))
  })
}
busy(byId<HTMLButtonElement>('sessions-reload'), loadSessions)
byId('timeline-clear').addEventListener('click', () => timeline.clear())

setInterval(() => view.tick(), 100)
setInterval(() => {
  if (!heartbeat.checked || status.dataset.state !== 'signed-in') return
  auth.http.get(ROUTES.me, { demoTag: 'heartbeat' }).catch(() => {})
}, HEARTBEAT_MS)

async function start() {
  const config = await fetch(DEMO_CONFIG_PATH)
    .then((response) => (response.ok ? (response.json() as Promise<DemoConfig>) : null))
    .catch(() => null)
  const user = config?.demoUser ?? DEMO_USER
  byId('demo-credentials').textContent = `${user.username} / ${user.password}`
  if (config !== null) {
    for (const ttl of document.querySelectorAll('.ttl')) {
      ttl.textContent = String(config.accessTokenTtl)
    }
  }
  if (config?.tokenStore === 'memory') {
    const banner = byId('store-banner')
    banner.replaceChildren(
      el('strong', {}, 'In-memory token store. '),
      `${config.redisProblem ?? 'No Redis was configured'}. Sessions live only in the token server process and end when it stops. For Redis: `,
      el('code', {}, 'docker compose up -d redis'),
      ' (with JWT_SECRET and REDIS_PASSWORD set), then ',
      el('code', {}, 'REDIS_URL=redis://:$REDIS_PASSWORD@127.0.0.1:6379 pnpm demo'),
      '.',
    )
    banner.hidden = false
  }
  for (const link of document.querySelectorAll<HTMLAnchorElement>('[data-transport]')) {
    const target = new URLSearchParams(location.search)
    target.set('transport', link.dataset.transport ?? 'cookie')
    link.href = `?${target.toString()}`
    link.setAttribute('aria-current', String(link.dataset.transport === transport))
    // Each transport starts clean: the session of the other one is ended, not carried over.
    link.addEventListener('click', (event) => {
      if (link.dataset.transport === transport) return
      event.preventDefault()
      void auth.logout().finally(() => location.assign(link.href))
    })
  }
  let tokens: StoredTokens | null = null
  try {
    // Cookie mode: memory is empty after a reload; the HttpOnly cookie brings the session back.
    tokens = await auth.restore()
    if (cookieMode) {
      timeline.add(
        'info',
        tokens === null
          ? 'No session cookie: sign in'
          : 'Session restored from the HttpOnly cookie after the page load',
      )
    }
  } catch (error) {
    timeline.add('error', `Could not restore the session: ${message(error)}`)
  }
  if (tokens !== null) ownTokens.add(identity(tokens))
  show(tokens)
  if (tokens !== null) await loadSessions().catch(() => {})
  document.body.dataset.ready = 'true'
}
void start()
