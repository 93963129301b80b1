import { inspect } from 'node:util'
import { expect } from 'vitest'
import { isAuthError } from '../../src/errors.js'

/** Every way an app (or an attacker reading its logs) might print or ship an error, its cause included. */
export function printed(error: unknown): string[] {
  const cause = (error as { cause?: unknown } | null)?.cause
  const deep = { depth: Number.POSITIVE_INFINITY, showHidden: true }
  return [
    inspect(error, deep),
    inspect(cause, deep),
    JSON.stringify(error),
    JSON.stringify(cause ?? null),
    String(error),
    String(cause),
    (error as Error).stack ?? '',
    (cause as Error | undefined)?.stack ?? '',
  ]
}

/**
 * Asserts that `error` is an `AuthError` and that no way of printing it shows any of
 * `secrets`, nor an `Authorization` header in any form.
 */
export function expectNoSecrets(error: unknown, secrets: readonly string[]): void {
  expect(isAuthError(error)).toBe(true)
  for (const text of printed(error)) {
    for (const value of [...secrets, 'Bearer', 'uthorization']) {
      expect(text).not.toContain(value)
    }
  }
}
