import { Cluster, type Redis } from 'ioredis'

/** What a {@link subscribe} subscription reports. */
export interface SubscriptionHandlers {
  /** A message on the channel. */
  message(message: string): void
  /**
   * The channel is subscribed: at start and after every reconnection. Whatever was
   * published while the connection was down was missed, so this is when to reload.
   */
  subscribed(): void
  /** The subscription was lost; messages are missed until `subscribed` is called again. */
  lost(error: Error | undefined): void
}

/** A subscription that keeps itself alive until closed. */
export interface Subscription {
  close(): Promise<void>
}

// A connection that cannot reach its node this many times in a row gives way to the next one.
const ATTEMPTS_PER_NODE = 3

const noop = () => {}

/**
 * Subscribes to one channel on a connection of its own, derived from `redis` and never
 * shared: a subscribed connection can run nothing else.
 *
 * - `Redis` (standalone or through Sentinels): a duplicate of the client, reconnecting as it
 *   does (a Sentinel-managed one finds the new master after a failover).
 * - `Cluster`: a plain connection to one master. `PUBLISH` on a cluster reaches the
 *   subscribers of every node over the cluster bus, so one node is enough; when it cannot be
 *   reached three times in a row, the next master of the cluster's current view is tried.
 *   (The cluster client's own subscriber moves between nodes the same way, but says nothing
 *   when it has, so a reload after a reconnection could not be timed; sharded pub/sub would
 *   put the one channel on the one shard that owns its slot, to the same effect.)
 */
export function subscribe(
  redis: Redis | Cluster,
  channel: string,
  handlers: SubscriptionHandlers,
): Subscription {
  let closed = false
  let current: Redis | undefined
  let nodeIndex = 0
  let retryTimer: NodeJS.Timeout | undefined

  const watch = (connection: Redis) => {
    current = connection
    let lastError: Error | undefined
    let subscribed = false
    connection.on('error', (error: Error) => {
      lastError = error
    })
    connection.on('message', (from: string, message: string) => {
      if (from === channel) handlers.message(message)
    })
    connection.on('ready', () => {
      connection.subscribe(channel).then(
        () => {
          if (closed || current !== connection) return
          subscribed = true
          handlers.subscribed()
        },
        (error: Error) => {
          lastError = error
          // A subscription that failed on a live connection is retried on a fresh one.
          if (!closed) connection.disconnect(true)
        },
      )
    })
    connection.on('close', () => {
      if (closed || current !== connection) return
      if (subscribed) handlers.lost(lastError)
      subscribed = false
    })
    return connection
  }

  if (!(redis instanceof Cluster)) {
    const connection = watch(
      redis.duplicate({
        lazyConnect: true,
        // SUBSCRIBE is sent on 'ready' only, and the channel is subscribed again each time.
        autoResubscribe: false,
        enableOfflineQueue: true,
      }),
    )
    connection.connect().catch(noop)
    return {
      close: async () => {
        closed = true
        connection.disconnect()
      },
    }
  }

  const connectNext = () => {
    retryTimer = undefined
    if (closed) return
    const masters = redis.nodes('master')
    const node = masters[nodeIndex % Math.max(1, masters.length)]
    nodeIndex += 1
    if (node === undefined) {
      // The cluster client has no view of the nodes yet (it is still connecting).
      retryTimer = setTimeout(connectNext, 200)
      return
    }
    const connection = watch(
      node.duplicate({
        lazyConnect: true,
        autoResubscribe: false,
        enableOfflineQueue: true,
        retryStrategy: (times: number) => (times >= ATTEMPTS_PER_NODE ? null : times * 100),
      }),
    )
    connection.once('end', () => {
      if (closed || current !== connection) return
      retryTimer = setTimeout(connectNext, 100)
    })
    connection.connect().catch(noop)
  }
  connectNext()
  return {
    close: async () => {
      closed = true
      if (retryTimer !== undefined) clearTimeout(retryTimer)
      current?.disconnect()
    },
  }
}
