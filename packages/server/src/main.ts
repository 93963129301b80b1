#!/usr/bin/env node
import { createServer } from 'node:http'
import { Cluster, Redis } from 'ioredis'
import { ConfigError } from './config/config-error.js'
import { loadConfig, type ServerConfig } from './config/load.js'
import { createLogger } from './logger.js'
import { type MetricsServer, startMetricsServer } from './metrics/metrics-server.js'
import { createServerFromConfig } from './server.js'
import { logRotationBounds } from './sessions/rotation-bounds.js'
import { failFastClusterOptions, failFastRedisOptions } from './store/redis-options.js'

// The only module that reads process.env and builds a Redis client.

const REDIS_START_TIMEOUT_MS = 5000
const SHUTDOWN_TIMEOUT_MS = 10_000

function fail(message: string): never {
  process.stderr.write(`refresh-kit: ${message}\n`)
  process.exit(1)
}

function redactedUrl(url: string): string {
  const parsed = new URL(url)
  if (parsed.password !== '') parsed.password = '***'
  return parsed.toString()
}

// Commands of requests that arrive together leave in one write and come back in one read:
// ioredis gathers them until the event loop has handled the sockets that were ready, and
// sends the next batch once the last one is answered. Under load a socket write costs more
// than the script it carries (tens of µs on a loopback), for the server and for Redis.
const AUTO_PIPELINING = { enableAutoPipelining: true } as const

function buildRedis(config: ServerConfig): Redis | Cluster {
  if (config.redisClusterNodes.length === 0 && config.redisSentinels.length === 0) {
    return new Redis(config.redisUrl, { ...failFastRedisOptions, ...AUTO_PIPELINING })
  }
  // Cluster and Sentinel-managed nodes share the credentials of REDIS_URL, whose password
  // loadConfig has already replaced with REDIS_PASSWORD when that is set.
  const url = new URL(config.redisUrl)
  const credentials = {
    ...(url.username === '' ? {} : { username: decodeURIComponent(url.username) }),
    ...(url.password === '' ? {} : { password: decodeURIComponent(url.password) }),
  }
  if (config.redisSentinels.length > 0) {
    return new Redis({
      ...failFastRedisOptions,
      ...credentials,
      ...AUTO_PIPELINING,
      sentinels: config.redisSentinels,
      name: config.redisSentinelName,
      ...(config.redisPassword === null ? {} : { sentinelPassword: config.redisPassword }),
      // No failoverDetector: in ioredis 6, a +switch-master that lands while a reconnection
      // is asking a Sentinel for the master ends the client for good (503 until a restart).
      // Sentinel itself disconnects the clients of a master it demotes, so they reconnect.
    })
  }
  return new Cluster(config.redisClusterNodes, {
    ...failFastClusterOptions,
    ...AUTO_PIPELINING,
    // Replicas lag behind the last rotation: reads must see what the scripts wrote.
    scaleReads: 'master',
    slotsRefreshTimeout: 1000,
    redisOptions: { ...failFastClusterOptions.redisOptions, ...credentials },
  })
}

function whereRedis(config: ServerConfig): string {
  const list = (nodes: readonly { host: string; port: number }[]) =>
    nodes.map((node) => `${node.host}:${node.port}`).join(',')
  if (config.redisSentinels.length > 0) {
    return `master "${config.redisSentinelName}" of sentinels ${list(config.redisSentinels)}`
  }
  return config.redisClusterNodes.length === 0
    ? redactedUrl(config.redisUrl)
    : `cluster ${list(config.redisClusterNodes)}`
}

function waitUntilReady(redis: Redis | Cluster, timeoutMs: number): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve()
  return new Promise((resolve, reject) => {
    let lastError: Error | undefined
    const onError = (error: Error) => {
      lastError = error
    }
    const onReady = () => {
      cleanup()
      resolve()
    }
    const timer = setTimeout(() => {
      cleanup()
      reject(lastError ?? new Error(`no answer within ${timeoutMs / 1000} s`))
    }, timeoutMs)
    function cleanup() {
      clearTimeout(timer)
      redis.off('error', onError)
      redis.off('ready', onReady)
    }
    redis.on('error', onError)
    redis.once('ready', onReady)
  })
}

async function main(): Promise<void> {
  let config: ServerConfig
  try {
    config = loadConfig(process.env)
  } catch (error) {
    if (error instanceof ConfigError) fail(`invalid configuration: ${error.message}`)
    throw error
  }
  const logger = createLogger({ level: config.logLevel, format: config.logFormat })
  // With an asymmetric algorithm JWT_SECRET only matters when it derives the refresh-token key.
  if (
    config.jwtSecretGenerated &&
    (config.jwtAlgorithm === 'HS256' || config.refreshTokenSecret === null)
  ) {
    logger.warn(
      'JWT_SECRET is not set: using a random secret for this process; tokens will not survive a restart',
    )
  }

  if (config.nodeEnv === 'production' && config.allowInsecure.length > 0) {
    // Allowed, not forgotten: every start says which floors this deployment runs below.
    logger.warn(
      `ALLOW_INSECURE=${config.allowInsecure.join(',')}: production starts although these settings may be unsafe`,
    )
  }

  logRotationBounds(logger, config.refreshReuseGrace)

  let redis: Redis | Cluster | undefined
  // A signal during start-up (waiting for Redis) ends the start cleanly; replaced once listening.
  const abortStart = () => {
    redis?.disconnect()
    process.exit(0)
  }
  process.once('SIGTERM', abortStart)
  process.once('SIGINT', abortStart)
  if (config.tokenStore === 'redis') {
    const client = buildRedis(config)
    redis = client
    try {
      await waitUntilReady(client, REDIS_START_TIMEOUT_MS)
    } catch (error) {
      client.disconnect()
      fail(`cannot reach Redis at ${whereRedis(config)}: ${(error as Error).message}`)
    }
    // From now on an outage is answered with 503 and the client reconnects by itself.
    let down = false
    client.on('error', (error: Error) => {
      if (!down)
        logger.warn('redis connection lost; answering 503 until it is back', { cause: error })
      down = true
    })
    client.on('ready', () => {
      if (down) logger.info('redis connection restored')
      down = false
    })
  } else if (config.nodeEnv === 'production') {
    logger.warn('TOKEN_STORE=memory: sessions live in this process only and are lost on restart')
  }

  const server = createServerFromConfig(config, {
    logger,
    ...(redis === undefined ? {} : { redis }),
  })
  // Ended sessions recorded before this start are refused from the first request on.
  let readyTimer: NodeJS.Timeout | undefined
  try {
    await Promise.race([
      server.ready(),
      new Promise((_, reject) => {
        readyTimer = setTimeout(
          () => reject(new Error(`no answer within ${REDIS_START_TIMEOUT_MS / 1000} s`)),
          REDIS_START_TIMEOUT_MS,
        )
      }),
    ])
  } catch (error) {
    redis?.disconnect()
    fail(`cannot load the recorded revocations from Redis: ${(error as Error).message}`)
  } finally {
    clearTimeout(readyTimer)
  }
  let closing = false
  const handle = server.app.callback()
  const http = createServer((req, res) => {
    // Once shutting down, each answer closes its connection: a kept-alive client under steady
    // load would otherwise keep sending on it and hold the process open until the timeout.
    if (closing) res.setHeader('Connection', 'close')
    void handle(req, res)
  })
  await new Promise<void>((resolve) => {
    http.once('error', (error: NodeJS.ErrnoException) =>
      fail(`cannot listen on ${config.host}:${config.port}: ${error.code ?? error.message}`),
    )
    http.listen(config.port, config.host, resolve)
  })
  const address = http.address()
  const port = typeof address === 'object' && address !== null ? address.port : config.port
  const host = config.host.includes(':') ? `[${config.host}]` : config.host
  process.stdout.write(
    `refresh-kit token server listening on http://${host}:${port} (store: ${config.tokenStore})\n`,
  )
  let metricsServer: MetricsServer | undefined
  if (server.metrics !== null && config.metricsPort !== null) {
    try {
      metricsServer = await startMetricsServer({
        metrics: server.metrics,
        port: config.metricsPort,
        host: config.metricsHost,
      })
    } catch (error) {
      fail(
        `cannot listen for metrics on ${config.metricsHost}:${config.metricsPort}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      )
    }
    const metricsHost = config.metricsHost.includes(':')
      ? `[${config.metricsHost}]`
      : config.metricsHost
    process.stdout.write(`metrics on http://${metricsHost}:${metricsServer.port}/metrics\n`)
  }

  const shutdown = (signal: NodeJS.Signals) => {
    if (closing) return
    closing = true
    logger.info('shutting down', { signal })
    setTimeout(() => fail('shutdown took too long; exiting'), SHUTDOWN_TIMEOUT_MS).unref()
    // close() stops accepting and waits for in-flight requests to finish.
    http.close(async () => {
      await metricsServer?.close()
      await server.close()
      if (redis !== undefined) await redis.quit().catch(() => redis.disconnect())
      process.exit(0)
    })
    http.closeIdleConnections()
  }
  process.off('SIGTERM', abortStart)
  process.off('SIGINT', abortStart)
  process.on('SIGTERM', shutdown)
  process.on('SIGINT', shutdown)
}

main().catch((error: unknown) => {
  fail(`failed to start: ${error instanceof Error ? error.message : String(error)}`)
})
