import { isAuthError } from '../../src/errors.js'

/** What a call resolved to, or the code of the `AuthError` it threw (anything else rethrown). */
export async function outcome<T>(promise: Promise<T>): Promise<T | string> {
  try {
    return await promise
  } catch (error) {
    if (isAuthError(error)) return error.code
    throw error
  }
}
