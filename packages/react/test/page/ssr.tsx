import { createAuthFetch, memoryStorage } from '@refresh-kit/client-sdk/fetch'
import { version } from 'react'
import { renderToString } from 'react-dom/server'
import { App } from './app.js'

/** Renders the page on the server: no window, no storage read, the loading state. */
export function render(): { html: string; version: string } {
  const client = createAuthFetch({ baseURL: 'http://server.invalid', storage: memoryStorage() })
  return { html: renderToString(<App client={client} />), version }
}
