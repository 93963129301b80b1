// useAuthActions outside a browser: the actions a server render hands out forward to the client.
import { createAuthFetch, isAuthError, memoryStorage } from '@refresh-kit/client-sdk/fetch'
import { createElement } from 'react'
import { renderToString } from 'react-dom/server'
import { describe, expect, it } from 'vitest'
import { type AnyAuthClient, type AuthActions, AuthProvider, useAuthActions } from '../src/index.js'

let captured: AuthActions | undefined
function Capture() {
  captured = useAuthActions()
  return null
}

function actionsOf(client: AnyAuthClient): AuthActions {
  captured = undefined
  renderToString(createElement(AuthProvider, { client }, createElement(Capture)))
  if (captured === undefined) throw new Error('not rendered')
  return captured
}

describe('useAuthActions().changePassword', () => {
  it("calls the client's changePassword with the passwords and passes its outcome on", async () => {
    const client = createAuthFetch({ baseURL: 'https://api.example.com', storage: memoryStorage() })
    const seen: unknown[] = []
    const refused = Object.assign(new Error('refused'), { code: 'invalid_credentials' })
    client.changePassword = async (passwords) => {
      seen.push(passwords)
      if (passwords.currentPassword === 'wrong') throw refused
    }
    const { changePassword } = actionsOf(client)
    await expect(
      changePassword({ currentPassword: 'old one', newPassword: 'a new passphrase' }),
    ).resolves.toBeUndefined()
    await expect(
      changePassword({ currentPassword: 'wrong', newPassword: 'a new passphrase' }),
    ).rejects.toBe(refused)
    expect(seen).toEqual([
      { currentPassword: 'old one', newPassword: 'a new passphrase' },
      { currentPassword: 'wrong', newPassword: 'a new passphrase' },
    ])
  })

  it('reaches the server through a client of the SDK: a refused change rejects with its AuthError', async () => {
    const client = createAuthFetch({
      baseURL: 'https://api.example.com',
      storage: memoryStorage(),
      fetch: async (request) =>
        new Response(
          JSON.stringify(
            request.url.endsWith('/auth/password')
              ? { error: 'invalid_credentials', message: 'wrong password' }
              : { error: 'not_found', message: 'no' },
          ),
          { status: request.url.endsWith('/auth/password') ? 401 : 404 },
        ),
    })
    const error = await actionsOf(client)
      .changePassword({ currentPassword: 'wrong', newPassword: 'a new passphrase' })
      .catch((e: unknown) => e)
    expect(isAuthError(error) && error.code).toBe('invalid_credentials')
  })

  it('names what to update when the client predates changePassword', async () => {
    const client = createAuthFetch({ baseURL: 'https://api.example.com', storage: memoryStorage() })
    const { changePassword: _, ...older } = client
    await expect(
      actionsOf({ ...older, manager: client.manager }).changePassword({
        currentPassword: 'a',
        newPassword: 'b',
      }),
    ).rejects.toThrow(/newer @refresh-kit\/client-sdk/)
  })
})
