/**
 * What the page and the Node scripts agree on: the seeded demo user, and the description of
 * the running demo that the demo server publishes at {@link DEMO_CONFIG_PATH}.
 */

/** The user `pnpm demo` seeds through the API and the page offers for one-click sign-in. */
export const DEMO_USER = { username: 'demo', password: 'demo horse battery' } as const

/** Where the demo server publishes {@link DemoConfig}; the API never serves this path. */
export const DEMO_CONFIG_PATH = '/demo-config.json'

/** How the running demo was started, for the page to show. */
export interface DemoConfig {
  /** The token server's store: `memory` means sessions live only in that process. */
  tokenStore: 'redis' | 'memory'
  /** Why the demo fell back to the memory store, when it did. */
  redisProblem?: string
  /** Access-token lifetime the server was started with, in seconds. */
  accessTokenTtl: number
  /** The seeded demo user, shown on the page. */
  demoUser: { username: string; password: string }
}

/** The paths the demo server forwards to the token server. */
export const API_PATH_PREFIXES = ['/auth/', '/healthz', '/readyz', '/.well-known/'] as const
