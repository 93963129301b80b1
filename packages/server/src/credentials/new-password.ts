import { AuthError } from '../errors.js'
import type { PasswordPolicy } from './password-strength.js'

const refusal = (field: string, problem: string) =>
  new AuthError('invalid_request', `${field} ${problem}`, { details: [{ field, problem }] })

/**
 * The cheap part of the password policy, before any limit is spent.
 * @throws AuthError `invalid_request` naming `field`
 */
export function checkNewPasswordLength(policy: PasswordPolicy, password: string, field: string) {
  const problem = policy.lengthProblem(password)
  if (problem !== null) throw refusal(field, problem)
}

/**
 * The costly part, only behind the limits and in a slot of the hash queue.
 * @throws AuthError `invalid_request` naming `field`
 */
export async function checkNewPassword(
  policy: PasswordPolicy,
  password: string,
  username: string,
  field: string,
): Promise<void> {
  const problem = await policy.problem(password, username)
  if (problem !== null) throw refusal(field, problem)
}
