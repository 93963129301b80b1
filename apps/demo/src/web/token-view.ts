import { decodeJwtPayload, type JwtPayload } from '@refresh-kit/shared'
import { byId, clockTime, el } from './dom.js'

/** What the page shows of the stored tokens. */
export interface TokenSnapshot {
  accessToken: string
  refreshToken: string
  /** Access-token expiry on the local clock, in ms. */
  expiresAt: number
}

/**
 * The generation of a refresh token `rk1.<userId>.<sessionId>.<generation>.<mac>`: how many
 * times its session was refreshed.
 *
 * @example
 * ```ts
 * refreshGeneration('rk1.u1.s1.3.mac') // '3'
 * ```
 */
export function refreshGeneration(refreshToken: string): string {
  return refreshToken.split('.')[3] ?? '?'
}

const CLAIMS = ['sub', 'username', 'sid', 'jti', 'iat', 'exp', 'iss', 'aud'] as const

function claimValue(name: string, payload: JwtPayload): string {
  const value = payload[name]
  if (value === undefined) return '–'
  return typeof value === 'string' ? value : JSON.stringify(value)
}

/** The access-token card: countdown bar, claims, refresh-token generation. */
export interface TokenView {
  show(tokens: TokenSnapshot | null): void
  /** Redraws the countdown; call it on a short interval. */
  tick(): void
}

/**
 * Binds the access-token card of the page.
 *
 * @example
 * ```ts
 * const view = createTokenView({ leewaySeconds: 3 })
 * view.show(await auth.manager.getTokens())
 * setInterval(view.tick, 100)
 * ```
 */
export function createTokenView(options: {
  leewaySeconds: number
  /** Whether the page can read the refresh token (body transport) to show its generation. */
  refreshTokenReadable?: boolean
  now?: () => number
}): TokenView {
  const readable = options.refreshTokenReadable ?? true
  const now = options.now ?? Date.now
  const countdown = byId('countdown')
  const fill = byId('countdown-fill')
  const label = byId('countdown-label')
  const claims = byId('claims')
  const generation = byId('generation')
  let current: { tokens: TokenSnapshot; lifetimeMs: number } | null = null

  const tick = () => {
    if (current === null) {
      countdown.dataset.level = 'none'
      fill.style.width = '0%'
      label.textContent = 'Signed out'
      return
    }
    const remaining = current.tokens.expiresAt - now()
    const share = Math.max(0, Math.min(1, remaining / current.lifetimeMs))
    fill.style.width = `${(share * 100).toFixed(1)}%`
    countdown.dataset.level =
      remaining <= 0 ? 'expired' : remaining <= options.leewaySeconds * 1000 ? 'soon' : 'ok'
    label.textContent =
      remaining > 0
        ? `Expires in ${(remaining / 1000).toFixed(1)} s`
        : `Expired ${(-remaining / 1000).toFixed(1)} s ago: the next request refreshes it`
  }

  return {
    show(tokens) {
      if (tokens === null) {
        current = null
        claims.replaceChildren()
        generation.textContent = 'generation –'
        tick()
        return
      }
      let payload: JwtPayload = {}
      try {
        payload = decodeJwtPayload(tokens.accessToken)
      } catch {
        // A token broken on purpose (the burst's 401 mode) still has its claims to show.
      }
      const lifetimeMs =
        typeof payload.exp === 'number' && typeof payload.iat === 'number'
          ? (payload.exp - payload.iat) * 1000
          : 15_000
      current = { tokens, lifetimeMs }
      generation.textContent = readable
        ? `generation ${refreshGeneration(tokens.refreshToken)}`
        : 'refresh token: HttpOnly cookie'
      generation.dataset.generation = readable ? refreshGeneration(tokens.refreshToken) : 'hidden'
      claims.replaceChildren(
        ...CLAIMS.flatMap((name) => {
          const value = el('dd', { 'data-claim': name }, claimValue(name, payload))
          const seconds = payload[name]
          if ((name === 'iat' || name === 'exp') && typeof seconds === 'number') {
            value.append(el('span', { class: 'note' }, clockTime(new Date(seconds * 1000))))
          }
          return [el('dt', {}, name), value]
        }),
      )
      tick()
    },
    tick,
  }
}
