import type { RefreshTokenTransport, StoredTokens } from '@refresh-kit/client-sdk'
import { byId, el } from './dom.js'

/** What the page can find of the tokens in the places a script can read. */
export interface ReadableState {
  /** `document.cookie` as this page sees it. */
  cookie: string
  /** Every `localStorage` entry, `key=value`. */
  localStorage: string[]
}

/** Reads what any script on this page could read: cookies and `localStorage`. */
export function readableState(): ReadableState {
  const entries: string[] = []
  for (let index = 0; index < localStorage.length; index += 1) {
    const key = localStorage.key(index)
    if (key !== null) entries.push(`${key}=${localStorage.getItem(key) ?? ''}`)
  }
  return { cookie: document.cookie, localStorage: entries }
}

const shorten = (value: string, length = 48) =>
  value.length > length ? `${value.slice(0, length)}…` : value

/**
 * The "Where the tokens live" card: where the client keeps each token in this transport,
 * and what `document.cookie` and `localStorage` show this page right now.
 *
 * @example
 * ```ts
 * const custody = createCustodyView('cookie')
 * auth.on('tokens', (tokens) => custody.show(tokens))
 * ```
 */
export function createCustodyView(transport: RefreshTokenTransport): {
  show(tokens: StoredTokens | null): void
} {
  const access = byId('where-access')
  const refresh = byId('where-refresh')
  const cookie = byId('document-cookie')
  const local = byId('local-storage')
  return {
    show(tokens) {
      const signedIn = tokens !== null
      access.textContent = !signedIn
        ? 'none (signed out)'
        : transport === 'cookie'
          ? 'memory of this tab (a JavaScript variable): gone on reload, restored from the cookie'
          : 'localStorage["refresh-kit.tokens"], shared by every tab'
      access.dataset.where = signedIn
        ? transport === 'cookie'
          ? 'memory'
          : 'localStorage'
        : 'none'
      refresh.textContent = !signedIn
        ? 'none (signed out)'
        : transport === 'cookie'
          ? 'HttpOnly cookie: not readable by this page'
          : 'localStorage["refresh-kit.tokens"]: readable by any script on this page'
      refresh.dataset.where = signedIn
        ? transport === 'cookie'
          ? 'cookie'
          : 'localStorage'
        : 'none'
      const state = readableState()
      cookie.replaceChildren(
        state.cookie === '' ? el('span', { class: 'muted' }, '(empty)') : shorten(state.cookie),
      )
      local.replaceChildren(
        ...(state.localStorage.length === 0
          ? [el('span', { class: 'muted' }, '(empty)')]
          : state.localStorage.map((entry) => el('div', {}, shorten(entry)))),
      )
    },
  }
}
