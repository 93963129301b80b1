/** A listener map keyed by event name; a listener that throws never breaks the caller. */
export interface Emitter<Events extends { [E in keyof Events]: (...args: never[]) => void }> {
  on<E extends keyof Events>(event: E, listener: Events[E]): () => void
  emit<E extends keyof Events>(event: E, ...args: Parameters<Events[E]>): void
}

/** A tiny typed event emitter, one per client: no module-level listeners. */
export function createEmitter<
  Events extends { [E in keyof Events]: (...args: never[]) => void },
>(): Emitter<Events> {
  const listeners = new Map<keyof Events, Set<(...args: never[]) => void>>()
  return {
    on(event, listener) {
      const set = listeners.get(event) ?? new Set()
      listeners.set(event, set)
      set.add(listener)
      return () => {
        set.delete(listener)
      }
    },
    emit(event, ...args) {
      for (const listener of listeners.get(event) ?? []) {
        try {
          ;(listener as (...a: Parameters<Events[typeof event]>) => void)(...args)
        } catch (error) {
          // A broken listener must not leave requests hanging; surface it like a DOM event does.
          queueMicrotask(() => {
            throw error
          })
        }
      }
    },
  }
}
