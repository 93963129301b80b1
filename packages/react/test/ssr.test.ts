// Server rendering under React 19 in Node; test/browser.test.ts renders under React 18 too.
import { createAuthFetch, memoryStorage } from '@refresh-kit/client-sdk/fetch'
import { createElement, version } from 'react'
import { renderToString } from 'react-dom/server'
import { describe, expect, it } from 'vitest'
import { AuthProvider, useAccessToken, useAuthActions, useSession } from '../src/index.js'

function Status() {
  const session = useSession()
  const token = useAccessToken()
  const { pending } = useAuthActions()
  return createElement(
    'p',
    { 'data-status': session.status },
    `${session.user?.username ?? 'nobody'} ${token ?? 'no-token'} ${pending}`,
  )
}

describe(`server rendering with React ${version}`, () => {
  it('imports without window and renders the loading state', async () => {
    expect(typeof (globalThis as { window?: unknown }).window).toBe('undefined')
    const client = createAuthFetch({ baseURL: 'https://api.example.com', storage: memoryStorage() })
    await client.manager.setTokens({
      accessToken: 'a.b.c',
      refreshToken: 'r',
      expiresIn: 60,
    })
    const html = renderToString(createElement(AuthProvider, { client }, createElement(Status)))
    expect(html).toBe('<p data-status="loading">nobody no-token false</p>')
  })

  it('names the provider when a hook is used outside it', () => {
    expect(() => renderToString(createElement(Status))).toThrow(/inside <AuthProvider>/)
  })
})
