import type { TestProject } from 'vitest/node'
import { provisionRedis } from './redis.js'

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string
  }
}

/** Vitest global setup: one Redis for the whole run of a package, stopped at the end. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const redis = await provisionRedis()
  project.provide('redisUrl', redis.url)
  return () => redis.stop()
}
