import { clockTime, el } from './dom.js'

/** The kinds of timeline entries; each has its own colour. */
export type TimelineKind =
  | 'request'
  | 'response'
  | 'unauthorized'
  | 'refresh'
  | 'released'
  | 'expired'
  | 'error'
  | 'info'

/** Options of {@link Timeline.add}. */
export interface TimelineEntryOptions {
  /** Entries with the same key are one line with a count (a burst shows as `×20`). */
  key?: string
  /** Move a keyed entry back to the top when it repeats (the heartbeat). @default false */
  float?: boolean
}

/** The event list of the page, newest first. */
export interface Timeline {
  add(kind: TimelineKind, text: string, options?: TimelineEntryOptions): void
  clear(): void
}

/**
 * Renders timestamped events into a list, newest first, keeping at most `limit` of them.
 *
 * @example
 * ```ts
 * const timeline = createTimeline(byId('timeline'))
 * timeline.add('refresh', 'refresh started')
 * ```
 */
export function createTimeline(
  list: HTMLElement,
  options: { now?: () => Date; limit?: number } = {},
): Timeline {
  const now = options.now ?? (() => new Date())
  const limit = options.limit ?? 200
  const keyed = new Map<string, { item: HTMLLIElement; count: number }>()
  const empty = () =>
    list.replaceChildren(el('li', { class: 'empty' }, 'Nothing yet: sign in to start.'))
  empty()

  return {
    add(kind, text, entry = {}) {
      const time = now()
      const existing = entry.key === undefined ? undefined : keyed.get(entry.key)
      if (existing?.item.isConnected) {
        existing.count += 1
        const count = existing.item.querySelector('.count')
        if (count !== null) count.textContent = `×${existing.count}`
        // A floating entry moves up with its latest time; others keep their first, so the
        // list stays in order.
        const stamp = existing.item.querySelector('time')
        if (entry.float === true && stamp !== null) {
          stamp.textContent = clockTime(time)
          stamp.dateTime = time.toISOString()
          list.prepend(existing.item)
        }
        return
      }
      list.querySelector('.empty')?.remove()
      const item = el(
        'li',
        { 'data-kind': kind },
        el('time', { datetime: time.toISOString() }, clockTime(time)),
        el('span', { class: 'dot', 'aria-hidden': 'true' }),
        el('span', { class: 'text' }, text),
        el('span', { class: 'count' }, ''),
      )
      if (entry.key !== undefined) keyed.set(entry.key, { item, count: 1 })
      list.prepend(item)
      while (list.children.length > limit) list.lastElementChild?.remove()
    },
    clear() {
      keyed.clear()
      empty()
    },
  }
}
