export type { ForwardingProxy, ForwardingProxyOptions } from './forwarding-proxy.js'
export { startForwardingProxy } from './forwarding-proxy.js'
export type { ProvisionedRedis, RedisServerOptions, RedisServerProcess } from './redis.js'
export {
  dockerEngineAnswers,
  freePort,
  NO_REDIS_MESSAGE,
  provisionRedis,
  startRedisServer,
} from './redis.js'
export type {
  RedisClusterNode,
  RedisClusterOptions,
  RedisClusterProcess,
} from './redis-cluster.js'
export { startRedisCluster } from './redis-cluster.js'
export type { TestRedis } from './use-redis.js'
export { useTestRedis } from './use-redis.js'
