import { randomBytes } from 'node:crypto'

/** 128 random bits as base64url (22 characters): user, session and token ids. */
export function randomId(): string {
  return randomBytes(16).toString('base64url')
}

/** The shape of {@link randomId}'s output, for strict parsing. */
export const RANDOM_ID_PATTERN = '[A-Za-z0-9_-]{22}'
