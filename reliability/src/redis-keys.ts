import type { Redis } from 'ioredis'

/**
 * Counts the keys under a prefix with SCAN (never KEYS), so it is safe on a busy Redis.
 *
 * @example
 * ```ts
 * expect(await countKeys(redis, 'rk:')).toBe(before)
 * ```
 */
export async function countKeys(redis: Redis, prefix: string): Promise<number> {
  let cursor = '0'
  let count = 0
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${escapeGlob(prefix)}*`, 'COUNT', 1000)
    cursor = next
    count += batch.length
  } while (cursor !== '0')
  return count
}

/**
 * The keys under a prefix, counted by kind: a leading hash tag becomes `{}` and the kind is
 * what follows up to the next `:` (`{}:s`, `un`, `rl`): which kinds of keys a test left behind.
 *
 * @example
 * ```ts
 * await keyKinds(redis, 'rk:') // { '{}:u': 5, '{}:s': 5, un: 5 }
 * ```
 */
export async function keyKinds(redis: Redis, prefix: string): Promise<Record<string, number>> {
  const kinds: Record<string, number> = {}
  let cursor = '0'
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${escapeGlob(prefix)}*`, 'COUNT', 1000)
    cursor = next
    for (const key of batch) {
      const rest = key.slice(prefix.length).replace(/^\{[^}]*\}/, '{}')
      const parts = rest.split(':')
      const kind = rest.startsWith('{}') ? parts.slice(0, 2).join(':') : (parts[0] ?? '')
      kinds[kind] = (kinds[kind] ?? 0) + 1
    }
  } while (cursor !== '0')
  return kinds
}

/**
 * Keys under a prefix that have no TTL: each one is storage that grows without bound.
 *
 * @example
 * ```ts
 * expect(await keysWithoutTtl(redis, 'rk:')).toEqual([])
 * ```
 */
export async function keysWithoutTtl(redis: Redis, prefix: string): Promise<string[]> {
  const found: string[] = []
  let cursor = '0'
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${escapeGlob(prefix)}*`, 'COUNT', 1000)
    cursor = next
    for (const key of batch) {
      if ((await redis.ttl(key)) === -1) found.push(key)
    }
  } while (cursor !== '0')
  return found
}

function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, (char) => `\\${char}`)
}
