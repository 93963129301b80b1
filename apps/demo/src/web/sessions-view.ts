import type { SessionInfo } from '@refresh-kit/shared'
import { byId, clockTime, el } from './dom.js'

function shortAgent(userAgent: string | null): string {
  if (userAgent === null || userAgent === '') return 'unknown client'
  const browser = /(HeadlessChrome|Chrome|Firefox|Safari|Edg|node|axios)\/[\d.]+/.exec(userAgent)
  return browser?.[0] ?? userAgent.slice(0, 60)
}

/**
 * Renders the signed-in user's sessions with a revoke button each.
 *
 * @example
 * ```ts
 * renderSessions(data.sessions, (id) => auth.http.delete(sessionPath(id)))
 * ```
 */
export function renderSessions(sessions: SessionInfo[], revoke: (id: string) => void): void {
  const list = byId('sessions')
  if (sessions.length === 0) {
    list.replaceChildren(el('li', {}, 'No live session.'))
    return
  }
  list.replaceChildren(
    ...sessions.map((session) => {
      const button = el(
        'button',
        { type: 'button', class: 'danger small', 'data-session': session.id },
        'Revoke',
      )
      button.addEventListener('click', () => revoke(session.id))
      return el(
        'li',
        { 'data-current': String(session.current) },
        el(
          'div',
          { class: 'meta' },
          el(
            'div',
            {},
            el('span', { class: 'id' }, session.id.slice(0, 12)),
            ...(session.current ? [el('span', { class: 'current' }, 'current')] : []),
          ),
          el(
            'div',
            { class: 'agent' },
            `${shortAgent(session.userAgent)} · since ${clockTime(new Date(session.createdAt))} · used ${clockTime(new Date(session.lastUsedAt))}`,
          ),
        ),
        button,
      )
    }),
  )
}
