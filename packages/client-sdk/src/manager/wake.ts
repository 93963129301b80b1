/**
 * Calls `wake` when the page becomes visible or the device comes back online: timers do not
 * run while a laptop sleeps or a tab is frozen, these events do fire after. Returns the
 * function that stops listening; outside a browser (no `document`) listens to nothing.
 */
export function onWake(wake: () => void): () => void {
  const page = globalThis as {
    document?: EventTarget & { visibilityState?: string }
  } & Partial<EventTarget>
  const document = page.document
  if (document?.addEventListener === undefined) return () => {}
  const visible = () => {
    if (document.visibilityState !== 'hidden') wake()
  }
  document.addEventListener('visibilitychange', visible)
  page.addEventListener?.('online', visible)
  return () => {
    document.removeEventListener('visibilitychange', visible)
    page.removeEventListener?.('online', visible)
  }
}
