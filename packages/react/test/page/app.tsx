import { useState } from 'react'
import type { AnyAuthClient } from '../../src/index.js'
import { AuthProvider, useAccessToken, useAuthActions, useSession } from '../../src/index.js'

function Status() {
  const { status, user, expiring } = useSession()
  return (
    <p id="status" data-status={status} data-expiring={String(expiring)}>
      {status === 'signed-in' ? `Signed in as ${user?.username}` : status}
    </p>
  )
}

function SignIn() {
  const { status } = useSession()
  const { login, logout, pending, error } = useAuthActions()
  const [username, setUsername] = useState('')
  const [password, setPassword] = useState('')
  if (status === 'signed-in') {
    return (
      <button id="logout" type="button" onClick={() => logout()}>
        Sign out
      </button>
    )
  }
  return (
    <form
      id="signin"
      onSubmit={(event) => {
        event.preventDefault()
        login({ username, password }).catch(() => {})
      }}
    >
      <input id="username" value={username} onChange={(e) => setUsername(e.target.value)} />
      <input
        id="password"
        type="password"
        value={password}
        onChange={(e) => setPassword(e.target.value)}
      />
      <button id="submit" type="submit" disabled={pending}>
        Sign in
      </button>
      {error && <p id="error">{error.code}</p>}
    </form>
  )
}

function Token() {
  const token = useAccessToken()
  return <p id="token" data-token={token ?? ''} />
}

/** The test page: the session, a sign-in form, and the access token. */
export function App({ client }: { client: AnyAuthClient }) {
  return (
    <AuthProvider client={client}>
      <Status />
      <SignIn />
      <Token />
    </AuthProvider>
  )
}
