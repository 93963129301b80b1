import { createHmac, hkdfSync, type KeyObject, timingSafeEqual } from 'node:crypto'
import { FIELD_BOUNDS } from '@refresh-kit/shared'
import type { Clock } from '../../clock.js'
import { randomId } from '../../lib/random-id.js'

/**
 * How long a device stays known after its last successful login: a year, under the 400 days
 * browsers keep a cookie at most.
 */
export const DEVICE_TOKEN_TTL_SECONDS = 365 * 24 * 60 * 60

/** A device token that checked out: the device it names. */
export interface KnownDevice {
  /** Random, for the device's own failure counter. */
  id: string
}

/** Issues and checks device tokens (OWASP's device cookies) under one key. */
export interface KnownDevices {
  /** A token saying "this device signed in as `username`", for the login answer. */
  issue(username: string): string
  /**
   * The device of a token issued to `username` (in any case) and not expired, or `null` for
   * anything else: absent, malformed, forged, another user's, expired. Never touches storage.
   */
  check(token: unknown, username: string): KnownDevice | null
}

const PREFIX = 'rkd1'
const TOKEN = /^rkd1\.([A-Za-z0-9_-]{22})\.([0-9a-z]{1,11})\.([A-Za-z0-9_-]{43})$/

/**
 * Device tokens, the device cookies of OWASP's login-throttling guidance: a successful login
 * hands the device a token naming the user, and a later login that presents it is not counted
 * with strangers. So failures per account and per address can be limited without handing
 * strangers a lockout: a device that signed in before keeps getting in (limited by its own
 * failure counter) while guesses from anywhere else are refused.
 *
 * `rkd1.<device id>.<issued at, base 36 seconds>.<HMAC-SHA256>`; the MAC covers the username
 * in lower case, the id and the time, under a key derived from the refresh-token key (HKDF
 * with its own label), so nothing is stored and a token is good for one user only.
 *
 * @example
 * ```ts
 * const devices = createKnownDevices(keys.refreshMacKey)
 * const token = devices.issue('ada')
 * devices.check(token, 'Ada') // { id: '…' }
 * devices.check(token, 'grace') // null
 * ```
 */
export function createKnownDevices(key: KeyObject, clock: Clock = Date.now): KnownDevices {
  if (key?.type !== 'secret') {
    throw new TypeError('createKnownDevices: key must be a secret KeyObject')
  }
  const macKey = Buffer.from(
    hkdfSync('sha256', key.export(), Buffer.alloc(0), 'refresh-kit device tokens', 32),
  )
  const mac = (username: string, id: string, issuedAt: string) =>
    createHmac('sha256', macKey)
      .update(`${username.toLowerCase()}|${id}|${issuedAt}`)
      .digest('base64url')

  return {
    issue(username) {
      const id = randomId()
      const issuedAt = Math.floor(clock() / 1000).toString(36)
      return `${PREFIX}.${id}.${issuedAt}.${mac(username, id, issuedAt)}`
    },
    check(token, username) {
      if (typeof token !== 'string' || token.length > FIELD_BOUNDS.deviceToken.max) return null
      const match = TOKEN.exec(token)
      if (match === null) return null
      const [, id = '', issuedAt = '', given = ''] = match
      const expected = Buffer.from(mac(username, id, issuedAt), 'base64url')
      const presented = Buffer.from(given, 'base64url')
      if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) {
        return null
      }
      const age = clock() / 1000 - Number.parseInt(issuedAt, 36)
      // Another instance's clock may run a little ahead.
      return age > -300 && age < DEVICE_TOKEN_TTL_SECONDS ? { id } : null
    },
  }
}
