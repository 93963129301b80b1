import type { Cluster, Redis } from 'ioredis'
import {
  type RateLimiterAbstract,
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
} from 'rate-limiter-flexible'
import { configDefault } from '../../config/schema.js'
import { AuthError } from '../../errors.js'
import { checkOptions, integerRule } from '../../lib/options.js'
import { storeError } from '../../store/lib/unavailable.js'
import type { KnownDevice } from './known-devices.js'

/** One limit: `points` events per `durationSeconds`; `points: 0` turns it off. */
export interface LimitRule {
  points: number
  durationSeconds: number
}

/** The limits of the HTTP contract's "abuse limits" section, resolved. */
export interface AbuseLimitRules {
  /** Failed logins per (username, client address). `LOGIN_MAX_FAILURES` per `LOGIN_FAILURE_WINDOW`. */
  loginFailuresPerPair: LimitRule
  /** Failed logins per client address, all usernames. `LOGIN_MAX_FAILURES_PER_ADDRESS` per 24 h. */
  loginFailuresPerAddress: LimitRule
  /**
   * Failed logins per username, from every address but the user's known devices.
   * `LOGIN_MAX_FAILURES_PER_USER` per `LOGIN_FAILURE_WINDOW`.
   * @default DEFAULT_ABUSE_LIMIT_RULES.loginFailuresPerUser
   */
  loginFailuresPerUser?: LimitRule
  /** Login attempts per client address, successful or not. `LOGIN_RATE_LIMIT` per minute. */
  loginAttemptsPerAddress: LimitRule
  /** Registrations per client address. `REGISTER_RATE_LIMIT` per hour. */
  registrationsPerAddress: LimitRule
}

/** Options of {@link createAbuseLimits}. */
export interface AbuseLimitsOptions {
  /** The limits; see {@link AbuseLimitRules}. Required. */
  rules: AbuseLimitRules
  /**
   * Where the counters live: the Redis (or Cluster) client of the token store, so every
   * server instance counts together. Without it they live in this process
   * (`RateLimiterMemory`), as the memory store's sessions do.
   * @default in process memory
   */
  redis?: Redis | Cluster
  /** Prepended to every counter key (`<keyPrefix>rl:<limit>:<key>`). @default 'rk:' */
  keyPrefix?: string
}

/** Which limit refused a request, for the security log. */
export type LimitName =
  | 'login_failures_per_pair'
  | 'login_failures_per_address'
  | 'login_failures_per_user'
  | 'login_failures_per_device'
  | 'login_attempts_per_address'
  | 'registrations_per_address'

/**
 * A login's reservation against the limits, taken before its password is verified. The
 * failure counters already count it: a wrong password needs nothing more.
 */
export interface LoginReservation {
  /**
   * The password was right: clears the pair's (or the device's) failures and gives back the
   * address's and the user's one.
   */
  succeeded(): Promise<void>
  /** The password was never verified (the hasher was full): gives back every failure. */
  cancelled(): Promise<void>
  /** Whether this failure reached a failure limit: the next try of the pair (or address) is refused. */
  readonly locks: readonly LimitName[]
}

/** The limits as the token service uses them. */
export interface AbuseLimits {
  /**
   * Reserves one attempt and one failure of every login limit, in one atomic step per
   * counter, before the password is verified: of any number of parallel logins, at most
   * the limit get past this. A `device` that signed in as `username` before (see
   * `createKnownDevices`) is counted on its own instead (`LOGIN_MAX_FAILURES` per
   * `LOGIN_FAILURE_WINDOW`), so strangers' failures never lock it out; once it has used
   * those up, it is counted as a stranger.
   *
   * @throws AuthError `rate_limited` (with `retryAfterSeconds`), carrying the refusing
   *   limits as `cause`: {@link RateLimitRefusal}.
   * @throws StoreUnavailableError when Redis cannot count.
   */
  reserveLogin(
    username: string,
    clientAddress: string,
    device?: KnownDevice | null,
  ): Promise<LoginReservation>
  /** Reserves one registration of the address. @throws AuthError `rate_limited` */
  reserveRegistration(clientAddress: string): Promise<void>
}

/** The `cause` of a `rate_limited` {@link AuthError} raised by {@link AbuseLimits}. */
export class RateLimitRefusal extends Error {
  override readonly name = 'RateLimitRefusal'
  /** The limits that refused. */
  readonly limits: readonly LimitName[]
  /** Whether this refusal is the first of its window for one of them (the lock just began). */
  readonly firstRefusal: boolean
  constructor(limits: readonly LimitName[], firstRefusal: boolean) {
    super(`refused by ${limits.join(', ')}`)
    this.limits = limits
    this.firstRefusal = firstRefusal
  }
}

type Limiter = RateLimiterAbstract

interface Counter {
  readonly name: LimitName
  readonly points: number
  readonly limiter: Limiter
}

/**
 * KEYS: a rate-limiter-flexible counter (an integer with a TTL). Takes one point back and
 * deletes the counter when none is left; a counter that is gone stays gone.
 */
const GIVE_BACK = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local left = redis.call('DECRBY', KEYS[1], 1)
if left <= 0 then redis.call('DEL', KEYS[1]) end
return left
`

/** The window of `LOGIN_MAX_FAILURES_PER_ADDRESS`, as the contract states it: 24 h. */
export const ADDRESS_FAILURE_WINDOW_SECONDS = 24 * 60 * 60
/** The window of `LOGIN_RATE_LIMIT`: one minute. */
export const LOGIN_RATE_WINDOW_SECONDS = 60
/** The window of `REGISTER_RATE_LIMIT`: one hour. */
export const REGISTER_RATE_WINDOW_SECONDS = 60 * 60

/**
 * The limits of a server whose limit variables are all unset, as the config schema defaults
 * them (`LOGIN_MAX_FAILURES` to `REGISTER_RATE_LIMIT`).
 */
export const DEFAULT_ABUSE_LIMIT_RULES: Required<AbuseLimitRules> = {
  loginFailuresPerPair: {
    points: configDefault('LOGIN_MAX_FAILURES'),
    durationSeconds: configDefault('LOGIN_FAILURE_WINDOW'),
  },
  loginFailuresPerAddress: {
    points: configDefault('LOGIN_MAX_FAILURES_PER_ADDRESS'),
    durationSeconds: ADDRESS_FAILURE_WINDOW_SECONDS,
  },
  loginFailuresPerUser: {
    points: configDefault('LOGIN_MAX_FAILURES_PER_USER'),
    durationSeconds: configDefault('LOGIN_FAILURE_WINDOW'),
  },
  loginAttemptsPerAddress: {
    points: configDefault('LOGIN_RATE_LIMIT'),
    durationSeconds: LOGIN_RATE_WINDOW_SECONDS,
  },
  registrationsPerAddress: {
    points: configDefault('REGISTER_RATE_LIMIT'),
    durationSeconds: REGISTER_RATE_WINDOW_SECONDS,
  },
}

function checkRule(name: string, rule: LimitRule): void {
  checkOptions(
    'createAbuseLimits',
    rule,
    { points: integerRule(0), durationSeconds: integerRule(1) },
    `rules.${name}`,
  )
}

/** Seconds for `Retry-After`: a whole number, at least 1. */
function seconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000))
}

/**
 * The login and registration limits on rate-limiter-flexible, following its login-protection
 * pattern (failures per username and address, failures per address, attempts per address)
 * with one change the contract requires: each failure is reserved with `consume` *before* the
 * password is verified, and handed back (`reward`, `delete`) when it was not a failure, so a
 * parallel burst cannot pass a check that is counted only afterwards.
 *
 * Each counter is one key, changed by one Lua script (`RateLimiterRedis`), so it is atomic
 * and Cluster safe without hash tags. Keys are bounded: the caller passes a validated
 * username (at most 64 characters) and a normalized client address.
 *
 * @example
 * ```ts
 * const limits = createAbuseLimits({ redis, keyPrefix: 'rk:', rules })
 * const reservation = await limits.reserveLogin('ada', '203.0.113.7')
 * if (passwordIsRight) await reservation.succeeded()
 * ```
 */
export function createAbuseLimits(options: AbuseLimitsOptions): AbuseLimits {
  const { rules, redis } = options
  const keyPrefix = options.keyPrefix ?? configDefault('REDIS_KEY_PREFIX')
  for (const [name, rule] of Object.entries(rules)) checkRule(name, rule as LimitRule)

  const counter = (
    name: LimitName,
    rule: LimitRule,
    blockInMemory: boolean,
  ): Counter | undefined => {
    if (rule.points === 0) return undefined
    const common = {
      keyPrefix: `${keyPrefix}rl:${name}`,
      points: rule.points,
      duration: rule.durationSeconds,
    }
    const limiter =
      redis === undefined
        ? new RateLimiterMemory(common)
        : new RateLimiterRedis({
            ...common,
            storeClient: redis,
            // A refused key is refused from memory until its window ends, so a flood of one
            // address costs Redis nothing. Only for limits that nothing hands points back to.
            ...(blockInMemory ? { inMemoryBlockOnConsumed: rule.points + 1 } : {}),
          })
    return { name, points: rule.points, limiter }
  }

  const pair = counter('login_failures_per_pair', rules.loginFailuresPerPair, false)
  const addressFailures = counter(
    'login_failures_per_address',
    rules.loginFailuresPerAddress,
    false,
  )
  const userFailures = counter(
    'login_failures_per_user',
    rules.loginFailuresPerUser ?? DEFAULT_ABUSE_LIMIT_RULES.loginFailuresPerUser,
    false,
  )
  // A known device may fail as often as one (username, address) pair may.
  const deviceFailures = counter('login_failures_per_device', rules.loginFailuresPerPair, false)
  const attempts = counter('login_attempts_per_address', rules.loginAttemptsPerAddress, true)
  const registrations = counter('registrations_per_address', rules.registrationsPerAddress, true)

  /**
   * Gives back one point of a failure counter, and drops the counter once nothing is left in
   * it, in one atomic step: a login that succeeded leaves no key behind (a million users
   * signing in would otherwise keep a million counters for a window each).
   */
  const giveBack = async (c: Counter, key: string): Promise<void> => {
    if (redis === undefined) {
      const left = await c.limiter.reward(key)
      if (left.consumedPoints <= 0) await c.limiter.delete(key)
      return
    }
    await redis.eval(GIVE_BACK, 1, c.limiter.getKey(key))
  }

  /** Consumes one point of each counter at once; refuses if any refused. */
  async function consumeAll(
    entries: readonly (readonly [Counter, string])[],
  ): Promise<Map<Counter, RateLimiterRes>> {
    const outcomes = await Promise.allSettled(
      entries.map(([{ limiter }, key]) => limiter.consume(key)),
    )
    const granted = new Map<Counter, RateLimiterRes>()
    const refused: { counter: Counter; res: RateLimiterRes }[] = []
    let failure: unknown
    outcomes.forEach((outcome, at) => {
      const entry = entries[at]
      if (entry === undefined) return
      const [c] = entry
      if (outcome.status === 'fulfilled') granted.set(c, outcome.value)
      else if (outcome.reason instanceof RateLimiterRes)
        refused.push({ counter: c, res: outcome.reason })
      else failure ??= outcome.reason
    })
    if (failure === undefined && refused.length === 0) return granted
    // What was reserved for work that will not run goes back, the refused counters' point
    // too (rate-limiter-flexible counts a refused consume): a failure counter counts
    // passwords verified, so a flood another limit refuses does not lock the account for
    // everyone else. Attempts stay counted.
    await Promise.all(
      entries
        .filter(
          ([c], at) =>
            c !== attempts &&
            c !== registrations &&
            (granted.has(c) || outcomes[at]?.status === 'rejected'),
        )
        .map(([c, key]) => giveBack(c, key).catch(() => undefined)),
    )
    if (failure !== undefined) throw storeError(failure)
    const retryAfterSeconds = Math.max(...refused.map(({ res }) => seconds(res.msBeforeNext)))
    const firstRefusal = refused.some(({ counter: c, res }) => res.consumedPoints === c.points + 1)
    throw new AuthError('rate_limited', 'too many attempts; try again later', {
      retryAfterSeconds,
      cause: new RateLimitRefusal(
        refused.map(({ counter: c }) => c.name),
        firstRefusal,
      ),
    })
  }

  const guard = async (operation: Promise<unknown>): Promise<void> => {
    try {
      await operation
    } catch (error) {
      throw storeError(error)
    }
  }

  /** A known device's reservation, or `null` when it has used up its failures. */
  const reserveKnown = async (c: Counter, key: string): Promise<LoginReservation | null> => {
    let res: RateLimiterRes
    try {
      res = await c.limiter.consume(key)
    } catch (error) {
      if (error instanceof RateLimiterRes) return null
      throw storeError(error)
    }
    return {
      locks: res.consumedPoints === c.points ? [c.name] : [],
      succeeded: () => guard(c.limiter.delete(key)),
      cancelled: () => guard(giveBack(c, key)),
    }
  }

  return {
    async reserveLogin(username, clientAddress, device) {
      // Usernames are case-insensitive: `Alice` and `alice` share their counters.
      const user = username.toLowerCase()
      if (device != null && deviceFailures !== undefined) {
        // A known device is not limited with strangers: only by its own failures. Once it
        // has used those up it is counted as one (below), by the limits strangers meet.
        const known = await reserveKnown(deviceFailures, `${device.id}|${user}`)
        if (known !== null) return known
      }
      const pairKey = `${clientAddress}|${user}`
      const entries: (readonly [Counter, string])[] = []
      if (attempts !== undefined) entries.push([attempts, clientAddress])
      if (addressFailures !== undefined) entries.push([addressFailures, clientAddress])
      if (pair !== undefined) entries.push([pair, pairKey])
      if (userFailures !== undefined) entries.push([userFailures, user])
      const granted = await consumeAll(entries)
      const locks: LimitName[] = []
      for (const c of [pair, addressFailures, userFailures]) {
        if (c !== undefined && granted.get(c)?.consumedPoints === c.points) locks.push(c.name)
      }
      return {
        locks,
        succeeded: () =>
          guard(
            Promise.all([
              pair?.limiter.delete(pairKey),
              addressFailures && giveBack(addressFailures, clientAddress),
              // Only this try's point: the failures of strangers stand.
              userFailures && giveBack(userFailures, user),
            ]),
          ),
        cancelled: () =>
          guard(
            Promise.all([
              pair && giveBack(pair, pairKey),
              addressFailures && giveBack(addressFailures, clientAddress),
              userFailures && giveBack(userFailures, user),
            ]),
          ),
      }
    },

    async reserveRegistration(clientAddress) {
      if (registrations === undefined) return
      await consumeAll([[registrations, clientAddress]])
    },
  }
}
