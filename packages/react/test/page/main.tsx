import { createAuthFetch, localStorageStorage } from '@refresh-kit/client-sdk/fetch'
import { version } from 'react'
import { createRoot, hydrateRoot } from 'react-dom/client'
import { App } from './app.js'

declare global {
  interface Window {
    auth: ReturnType<typeof createAuthFetch>
    /** Every value #status showed, in order, as MutationObserver saw the DOM change. */
    shown: string[]
    sessionExpired: number
    reactVersion: string
  }
}

const auth = createAuthFetch({
  baseURL: location.origin,
  storage: localStorageStorage(),
  leewaySeconds: 1,
})
window.auth = auth
window.reactVersion = version
window.shown = []
window.sessionExpired = 0
auth.on('sessionExpired', () => {
  window.sessionExpired += 1
})

const root = document.getElementById('root') as HTMLElement
new MutationObserver(() => {
  const status = document.getElementById('status')?.dataset.status
  if (status !== undefined && status !== window.shown.at(-1)) window.shown.push(status)
}).observe(root, { subtree: true, childList: true, attributes: true, characterData: true })

// The server rendered the loading state into #root: hydrate it, as an SSR app would.
if (root.firstChild === null) createRoot(root).render(<App client={auth} />)
else hydrateRoot(root, <App client={auth} />)
