import { AuthError } from '../../errors.js'
import type { CreateSessionInput, RotateInput, SessionRecord } from '../types.js'

/** A store-side default: long enough for a yearly visitor, short enough that abandoned users go. */
export const DEFAULT_USER_TTL_SECONDS = 365 * 24 * 60 * 60

/** Whether the session is still usable at `now` (both expiries are exclusive). */
export function isLive(session: SessionRecord, now: number): boolean {
  return now < session.idleExpiresAt && now < session.absoluteExpiresAt
}

/** `seconds` as whole milliseconds. */
export function toMs(seconds: number): number {
  return Math.round(seconds * 1000)
}

function assertPositive(name: string, value: number): void {
  if (!Number.isFinite(value) || value <= 0) {
    throw new TypeError(`${name} must be a positive number of seconds, got ${String(value)}`)
  }
}

function assertTime(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new TypeError(`${name} must be milliseconds since the epoch, got ${String(value)}`)
  }
}

/** Rejects a malformed {@link CreateSessionInput}: a caller bug, never a user input. */
export function checkCreateSessionInput(input: CreateSessionInput): void {
  assertTime('now', input.now)
  assertPositive('idleTtlSeconds', input.idleTtlSeconds)
  assertPositive('maxAgeSeconds', input.maxAgeSeconds)
  const max = input.maxSessions ?? 0
  if (!Number.isSafeInteger(max) || max < 0) {
    throw new TypeError(`maxSessions must be a whole number >= 0, got ${String(max)}`)
  }
}

/** Least recently used first (last login or refresh), then oldest login, then id. */
export function leastRecentlyUsedFirst(a: SessionRecord, b: SessionRecord): number {
  return (
    a.lastUsedAt - b.lastUsedAt ||
    a.createdAt - b.createdAt ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  )
}

/** Rejects a malformed {@link RotateInput}: a caller bug, never a user input. */
export function checkRotateInput(input: RotateInput): void {
  assertTime('now', input.now)
  assertPositive('idleTtlSeconds', input.idleTtlSeconds)
  if (!Number.isFinite(input.graceSeconds) || input.graceSeconds < 0) {
    throw new TypeError(
      `graceSeconds must be zero or a positive number of seconds, got ${String(input.graceSeconds)}`,
    )
  }
}

/**
 * Whether `generation` could have been issued at all. A negative or fractional generation
 * comes from a token the service never signed; it is `invalid`, never `grace` for session 0.
 */
export function isIssuableGeneration(generation: number): boolean {
  return Number.isSafeInteger(generation) && generation >= 0
}

/** Newest login first; the id breaks ties so the order is stable. */
export function newestFirst(a: SessionRecord, b: SessionRecord): number {
  return b.createdAt - a.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
}

/**
 * What a login learns when the password it verified was changed before its session could be
 * created: that password is no longer right.
 */
export const passwordChanged = () =>
  new AuthError('invalid_credentials', 'wrong username or password')
