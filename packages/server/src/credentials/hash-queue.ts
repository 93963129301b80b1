import { AuthError } from '../errors.js'
import { checkOptions, integerRule } from '../lib/options.js'

/** Options of {@link createHashQueue}. */
export interface HashQueueOptions {
  /**
   * Password hashes (scrypt derivations) running at once; `0` sets no bound (every hash
   * starts at once and nothing is refused). `PASSWORD_HASH_CONCURRENCY`. Required.
   */
  concurrency: number
  /** Hashes waiting for a turn, all clients together; `0`: none wait. `PASSWORD_HASH_QUEUE`. Required. */
  queueSize: number
  /** `Retry-After` of the `503` answered when the queue is full, in seconds. @default 2 */
  retryAfterSeconds?: number
}

/** What a hash waiting for its turn is about to be told. */
interface Waiter {
  client: string
  /** Arrival order, for "newest first" and "oldest refused". */
  seq: number
  priority: boolean
  start: () => void
  refuse: (error: AuthError) => void
}

/** Options of one {@link HashQueue.run}. */
export interface HashRunOptions {
  /**
   * Served before everyone else, and never displaced by a newcomer without it: a login from
   * a device that signed in to the account before. @default false
   */
  priority?: boolean
}

/** Runs password hashes within a bound. */
export interface HashQueue {
  /**
   * Runs `work` when a slot is free. Beyond the bound it is refused at once with
   * `503 service_unavailable` (`AuthError`), never left to wait; a waiting hash may be
   * refused later, the same way, to make room for a newcomer.
   */
  run<T>(client: string, work: () => Promise<T>, options?: HashRunOptions): Promise<T>
  /** Hashes running now. */
  readonly running: number
  /** Hashes waiting now. */
  readonly waiting: number
}

/**
 * A bound on password hashing: at most `concurrency` hashes at once and `queueSize`
 * waiting, so a flood of registrations or logins cannot starve everyone else of the CPU.
 *
 * The queue is fair between clients (client addresses), and a newcomer is never the one
 * refused while someone with less claim waits:
 * - One client runs at most `concurrency - 1` hashes at once (with a concurrency of two or
 *   more), so a slot is left for everyone else.
 * - A free slot goes to a `priority` waiter first (a device that signed in before), then to
 *   the client with the fewest hashes waiting, and among clients with as many, to the one
 *   that arrived last. Newest first is what keeps a flood from many addresses, one request
 *   each, from putting a normal login behind all of it: under such a flood the login is
 *   next, while the flood's oldest requests wait (and are the first refused).
 * - When the queue is full, a newcomer takes the place of the newest waiter of the client
 *   with the most waiting (if it holds more than one more than the newcomer's client), or
 *   else of the oldest waiter of a client holding more than the newcomer's; a known device
 *   takes the place of any stranger. Otherwise the newcomer is refused. The refused get
 *   `503` with `Retry-After`.
 *
 * @example
 * ```ts
 * const queue = createHashQueue({ concurrency: 2, queueSize: 64 })
 * const ok = await queue.run(clientAddress, () => passwords.verify(password, hash))
 * ```
 */
export function createHashQueue(options: HashQueueOptions): HashQueue {
  const { concurrency, queueSize } = checkOptions('createHashQueue', options, {
    concurrency: integerRule(0),
    queueSize: integerRule(0),
  })
  const retryAfterSeconds = options.retryAfterSeconds ?? 2
  let running = 0
  let waiting = 0
  let arrivals = 0
  // Per client, its waiting hashes in arrival order.
  const queues = new Map<string, Waiter[]>()
  // One client never holds every slot: with two or more, one is always left to the others,
  // so a request from another address starts its hash without waiting for a flood's to end.
  const perClient = Math.max(1, concurrency - 1)
  const runningBy = new Map<string, number>()
  const canStart = (client: string) =>
    running < concurrency && (runningBy.get(client) ?? 0) < perClient
  const started = (client: string) => {
    running += 1
    runningBy.set(client, (runningBy.get(client) ?? 0) + 1)
  }
  const ended = (client: string) => {
    running -= 1
    const left = (runningBy.get(client) ?? 1) - 1
    if (left > 0) runningBy.set(client, left)
    else runningBy.delete(client)
  }

  const busy = () =>
    new AuthError(
      'service_unavailable',
      'the server is busy hashing passwords; try again shortly',
      {
        retryAfterSeconds,
      },
    )

  /** Takes `waiter` out of its client's list. */
  const remove = (waiter: Waiter) => {
    const list = queues.get(waiter.client)
    if (list === undefined) return
    const at = list.indexOf(waiter)
    if (at !== -1) list.splice(at, 1)
    if (list.length === 0) queues.delete(waiter.client)
    waiting -= 1
  }

  /** The waiter to start next, or `undefined` when none can. */
  function pick(): Waiter | undefined {
    let best: Waiter | undefined
    let bestCount = 0
    for (const [client, list] of queues) {
      if (!canStart(client)) continue
      // A client's own priority hash first, then its oldest: its requests are one line.
      const own = list.find((waiter) => waiter.priority) ?? list[0]
      if (own === undefined) continue
      const newest = list[list.length - 1]?.seq ?? own.seq
      const better =
        best === undefined ||
        (own.priority && !best.priority) ||
        (own.priority === best.priority &&
          (list.length < bestCount ||
            (list.length === bestCount &&
              newest > (queues.get(best.client)?.at(-1)?.seq ?? best.seq))))
      if (better) {
        best = own
        bestCount = list.length
      }
    }
    return best
  }

  function next(): void {
    while (running < concurrency) {
      const waiter = pick()
      if (waiter === undefined) return
      remove(waiter)
      started(waiter.client)
      waiter.start()
    }
  }

  /** Makes room for a newcomer of `client`; `false` when it is the newcomer who must go. */
  function displace(client: string, priority: boolean): boolean {
    const own = queues.get(client)?.length ?? 0
    let largest: Waiter[] | undefined
    let oldest: Waiter | undefined
    for (const [other, list] of queues) {
      if (largest === undefined || list.length > largest.length) largest = list
      // A newcomer only displaces a client holding more than its own, so a client already
      // waiting cannot push others out; every stranger gives way to a known device.
      if (other === client || (!priority && list.length <= own)) continue
      for (const waiter of list) {
        if (!waiter.priority && (oldest === undefined || waiter.seq < oldest.seq)) oldest = waiter
      }
    }
    let victim: Waiter | undefined
    if (largest !== undefined && largest.length > own + 1) {
      // Its newest: its own requests keep their order.
      victim = largest.findLast((waiter) => !waiter.priority)
    }
    victim ??= oldest
    if (victim === undefined) return false
    remove(victim)
    victim.refuse(busy())
    return true
  }

  return {
    get running() {
      return running
    },
    get waiting() {
      return waiting
    },
    async run(client, work, runOptions) {
      if (concurrency === 0) return work()
      const priority = runOptions?.priority === true
      if (!canStart(client)) {
        if (waiting >= queueSize && !displace(client, priority)) throw busy()
        await new Promise<void>((start, refuse) => {
          const waiter = { client, seq: arrivals++, priority, start, refuse }
          const list = queues.get(client)
          if (list === undefined) queues.set(client, [waiter])
          else list.push(waiter)
          waiting += 1
        })
      } else {
        started(client)
      }
      try {
        return await work()
      } finally {
        ended(client)
        next()
      }
    },
  }
}
