import { StoreUnavailableError } from '../../errors.js'

/**
 * Server replies that mean "this Redis cannot serve right now", not "this command is wrong":
 * still loading its data set, cluster without a majority or with uncovered slots, a replica
 * cut off from its master, or a master demoted by a failover that still holds the connection
 * (its writes answer READONLY until the client follows the new master).
 */
const UNAVAILABLE_REPLIES = /^(LOADING|CLUSTERDOWN|MASTERDOWN|READONLY)\b/

/** ioredis client-side messages of a connection that is gone, not yet there, or too slow. */
const UNAVAILABLE_MESSAGES = [
  /^Connection is closed\.?$/,
  /enableOfflineQueue options is false$/,
  /^Command timed out$/,
  /^connect ETIMEDOUT$/,
  /^Socket timeout\./,
  /^None of startup nodes is available$/,
  /^Cluster is (disconnected|disconnecting|ended)\.?$/,
  /^Failed to refresh slots cache/,
  /^Node is disconnected$/,
]

/** Client-side error classes ioredis uses for aborted or given-up commands. */
const UNAVAILABLE_NAMES = new Set([
  'MaxRetriesPerRequestError',
  'AbortError',
  'InterruptError',
  'ClusterAllFailedError',
])

/** Socket errors of an unreachable server. */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
])

/** Whether `error` says that Redis could not be reached or did not answer in time. */
export function isUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false
  if (error.name === 'ReplyError') return UNAVAILABLE_REPLIES.test(error.message)
  if (UNAVAILABLE_NAMES.has(error.name)) return true
  const code = (error as { code?: unknown }).code
  if (typeof code === 'string' && UNAVAILABLE_CODES.has(code)) return true
  return UNAVAILABLE_MESSAGES.some((pattern) => pattern.test(error.message))
}

/**
 * `error` as the store reports it: a {@link StoreUnavailableError} (the cause kept) for an
 * outage, the error itself for anything else, so a Lua error or a bug stays a `500` and is
 * never hidden behind a `503`.
 */
export function storeError(error: unknown): unknown {
  if (error instanceof StoreUnavailableError || !isUnavailable(error)) return error
  return new StoreUnavailableError(undefined, { cause: error })
}
