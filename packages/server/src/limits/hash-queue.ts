import { AuthError } from '../errors.js'

/**
 * Hashes at once by default: scrypt runs on libuv's thread pool (4 threads unless
 * `UV_THREADPOOL_SIZE` says otherwise), and two leave room for file and DNS work there.
 */
export const DEFAULT_HASH_CONCURRENCY = 2
/** Hashes waiting by default: at ~100 ms a hash, two at a time, about 3 s of work. */
export const DEFAULT_HASH_QUEUE_SIZE = 64

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
  start: () => void
  refuse: (error: AuthError) => void
}

/** Runs password hashes within a bound. */
export interface HashQueue {
  /**
   * Runs `work` when a slot is free. Beyond the bound it is refused at once with
   * `503 service_unavailable` (`AuthError`), never left to wait.
   */
  run<T>(client: string, work: () => Promise<T>): Promise<T>
  /** Hashes running now. */
  readonly running: number
  /** Hashes waiting now. */
  readonly waiting: number
}

/**
 * A bound on password hashing: at most `concurrency` hashes at once and `queueSize`
 * waiting, anything more answered `503` at once, so a flood of registrations or logins
 * cannot starve everyone else of the CPU.
 *
 * The queue is fair between clients (client addresses). One client runs at most
 * `concurrency - 1` hashes at once (with a concurrency of two or more), so a slot is left
 * for everyone else; a free slot goes to the client
 * with the fewest hashes waiting, and when the queue is full a newcomer from a client with
 * fewer waiting hashes than the client holding the most takes that client's newest place
 * (which is refused). So one address flooding the hasher fills the queue with its own
 * requests while a request from anyone else starts at once, and under a flood from many
 * addresses it is next in line, waiting for one running hash at most instead of for the
 * whole queue: how long a normal login takes does not depend on the size of a flood.
 *
 * @example
 * ```ts
 * const queue = createHashQueue({ concurrency: 2, queueSize: 64 })
 * const ok = await queue.run(clientAddress, () => passwords.verify(password, hash))
 * ```
 */
export function createHashQueue(options: HashQueueOptions): HashQueue {
  const { concurrency, queueSize } = options
  const retryAfterSeconds = options.retryAfterSeconds ?? 2
  if (!Number.isSafeInteger(concurrency) || concurrency < 0) {
    throw new TypeError('createHashQueue: options.concurrency must be an integer >= 0')
  }
  if (!Number.isSafeInteger(queueSize) || queueSize < 0) {
    throw new TypeError('createHashQueue: options.queueSize must be an integer >= 0')
  }
  let running = 0
  let waiting = 0
  // Per client, its waiting hashes in arrival order; Map order breaks ties.
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

  function next(): void {
    while (running < concurrency) {
      // The client with the fewest waiting goes first (the earliest in line among equals),
      // so a flood from one address waits behind everyone else's single requests.
      let client: string | undefined
      let list: Waiter[] | undefined
      for (const [other, waiters] of queues) {
        if (!canStart(other)) continue
        if (list === undefined || waiters.length < list.length) {
          client = other
          list = waiters
        }
      }
      if (client === undefined || list === undefined) return
      const waiter = list.shift()
      queues.delete(client)
      // The client goes to the back of the line of its equals.
      if (list.length > 0) queues.set(client, list)
      if (waiter === undefined) continue
      waiting -= 1
      started(client)
      waiter.start()
    }
  }

  /** Makes room for `client` by refusing the newest waiter of the client with the most. */
  function displace(client: string): boolean {
    let largest: Waiter[] | undefined
    let largestClient = ''
    for (const [other, list] of queues) {
      if (largest === undefined || list.length > largest.length) {
        largest = list
        largestClient = other
      }
    }
    const own = queues.get(client)?.length ?? 0
    if (largest === undefined || largest.length <= own + 1) return false
    const victim = largest.pop()
    if (largest.length === 0) queues.delete(largestClient)
    waiting -= 1
    victim?.refuse(busy())
    return true
  }

  return {
    get running() {
      return running
    },
    get waiting() {
      return waiting
    },
    async run(client, work) {
      if (concurrency === 0) return work()
      if (!canStart(client)) {
        if (waiting >= queueSize && !displace(client)) throw busy()
        await new Promise<void>((start, refuse) => {
          const list = queues.get(client)
          const waiter = { client, start, refuse }
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
