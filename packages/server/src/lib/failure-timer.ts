import { setTimeout as sleep } from 'node:timers/promises'

const KEPT = 16

/**
 * Holds failed authentications to the time successful ones take: the slowest of the last
 * few successes. A user adapter may answer "no such user" at once and "wrong password"
 * only after hashing; this keeps the two alike, whatever the adapter does.
 */
export function failureTimer(wait: (ms: number) => Promise<unknown> = sleep) {
  const recent: number[] = []
  return {
    succeeded(ms: number): void {
      recent.push(ms)
      if (recent.length > KEPT) recent.shift()
    },
    async failed(ms: number): Promise<void> {
      const target = recent.length === 0 ? 0 : Math.max(...recent)
      if (target > ms) await wait(target - ms)
    },
  }
}
