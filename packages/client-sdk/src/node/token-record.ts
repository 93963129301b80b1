import { AuthError } from '../errors.js'
import type { StoredTokens } from '../types.js'

/** What a token file (or keychain entry) holds: the session, and the device token that outlives it. */
export interface TokenRecord {
  tokens: StoredTokens | null
  deviceToken: string | null
}

/** Marks a record as ours: any other content is another program's, and is never taken for a session. */
const FORMAT = 'refresh-kit/tokens@1'

export const EMPTY_RECORD: TokenRecord = { tokens: null, deviceToken: null }

export function encodeRecord(record: TokenRecord): string {
  return `${JSON.stringify({ format: FORMAT, ...record }, null, 2)}\n`
}

const unreadable = (where: string, what: string, cause?: unknown) =>
  new AuthError('storage_unreadable', {
    message: `${where} ${what}; it was left as it is (move it away, or sign in again to replace it)`,
    ...(cause !== undefined && { cause }),
  })

function tokensOf(value: unknown): StoredTokens | null | undefined {
  if (value === null) return null
  const tokens = value as Partial<StoredTokens> | undefined
  if (
    typeof tokens?.accessToken !== 'string' ||
    typeof tokens.refreshToken !== 'string' ||
    typeof tokens.expiresAt !== 'number' ||
    typeof tokens.refreshExpiresAt !== 'number' ||
    (tokens.issuedAt !== undefined && typeof tokens.issuedAt !== 'number')
  ) {
    return undefined
  }
  return {
    accessToken: tokens.accessToken,
    refreshToken: tokens.refreshToken,
    expiresAt: tokens.expiresAt,
    ...(tokens.issuedAt !== undefined && { issuedAt: tokens.issuedAt }),
    refreshExpiresAt: tokens.refreshExpiresAt,
  }
}

/**
 * Reads a record, or throws `storage_unreadable` naming `where`: never a crash and never "no
 * session", which would sign every process out over a file someone else wrote.
 */
export function decodeRecord(text: string, where: string): TokenRecord {
  if (text.trim() === '') throw unreadable(where, 'is empty')
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch (error) {
    throw unreadable(where, 'is not valid JSON', error)
  }
  const record = data as { format?: unknown; tokens?: unknown; deviceToken?: unknown } | null
  if (typeof record !== 'object' || record === null || record.format !== FORMAT) {
    throw unreadable(where, `does not hold refresh-kit tokens (no "format": "${FORMAT}")`)
  }
  const tokens = tokensOf(record.tokens)
  const deviceToken = record.deviceToken ?? null
  if (tokens === undefined || (deviceToken !== null && typeof deviceToken !== 'string')) {
    throw unreadable(where, 'holds tokens of the wrong shape')
  }
  return { tokens, deviceToken }
}
