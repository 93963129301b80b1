import { describe, expect, it } from 'vitest'
import { createHashQueue } from '../../src/credentials/hash-queue.js'
import { isAuthError } from '../../src/errors.js'

function deferred() {
  let resolve: () => void = () => {}
  const promise = new Promise<void>((done) => {
    resolve = done
  })
  return { promise, resolve }
}

describe('createHashQueue', () => {
  it('runs at most `concurrency` at once, leaves a slot to other clients, queues `queueSize`, and refuses the rest at once with 503', async () => {
    const queue = createHashQueue({ concurrency: 3, queueSize: 3 })
    const gate = deferred()
    let active = 0
    let most = 0
    const work = async () => {
      active += 1
      most = Math.max(most, active)
      await gate.promise
      active -= 1
      return 'done'
    }
    const run = (client: string) =>
      queue.run(client, work).then(
        (value) => value,
        (error: unknown) => error,
      )
    const flood = Array.from({ length: 10 }, () => run('flood'))
    // One client holds two of the three slots, three of its hashes wait, five are refused.
    const refused = await Promise.all(flood.slice(5))
    for (const error of refused) {
      expect(isAuthError(error) && error.code).toBe('service_unavailable')
      expect(isAuthError(error) && error.retryAfterSeconds).toBe(2)
    }
    expect(queue.running).toBe(2)
    expect(queue.waiting).toBe(3)
    // Another client starts at once, in the slot left free.
    const other = run('other')
    expect(queue.running).toBe(3)
    gate.resolve()
    expect(await Promise.all([...flood.slice(0, 5), other])).toEqual(Array(6).fill('done'))
    expect(most).toBe(3)
    expect(queue.running + queue.waiting).toBe(0)
  })

  it('serves the client with the fewest waiting first, and a newcomer takes the place of the largest client when full', async () => {
    // One slot: nothing is left over for other clients, so the queue alone is fair.
    const queue = createHashQueue({ concurrency: 1, queueSize: 4 })
    const gate = deferred()
    const order: string[] = []
    const job = (client: string, label: string) =>
      queue
        .run(client, async () => {
          order.push(label)
          await gate.promise
        })
        .then(
          () => 'ok',
          () => 'refused',
        )
    const flood = ['a0', 'a1', 'a2', 'a3', 'a4'].map((label) => job('attacker', label))
    // a0 runs, a1..a4 fill the queue; the normal client displaces a4.
    const normal = job('normal', 'n0')
    expect(await flood[4]).toBe('refused')
    gate.resolve()
    expect(await normal).toBe('ok')
    await Promise.all(flood)
    expect(order).toEqual(['a0', 'n0', 'a1', 'a2', 'a3'])
  })

  it('answers a newcomer during a flood from many addresses with one request each: it takes the oldest place and goes next', async () => {
    const queue = createHashQueue({ concurrency: 1, queueSize: 4 })
    const gate = deferred()
    const order: string[] = []
    const job = (client: string) =>
      queue
        .run(client, async () => {
          order.push(client)
          await gate.promise
        })
        .then(
          () => 'ok',
          () => 'refused',
        )
    // f0 runs; f1..f4 fill the queue, one request per address.
    const flood = ['f0', 'f1', 'f2', 'f3', 'f4'].map(job)
    const user = job('user')
    // The oldest waiter gives way, not the newcomer.
    expect(await flood[1]).toBe('refused')
    expect(queue.waiting).toBe(4)
    gate.resolve()
    expect(await user).toBe('ok')
    await Promise.all(flood)
    expect(order[1]).toBe('user')
    expect(order).toEqual(['f0', 'user', 'f4', 'f3', 'f2'])
  })

  it('refuses a newcomer of an address that already waits as much as every other', async () => {
    const queue = createHashQueue({ concurrency: 1, queueSize: 2 })
    const gate = deferred()
    const job = (client: string) =>
      queue
        .run(client, () => gate.promise)
        .then(
          () => 'ok',
          () => 'refused',
        )
    const runningOne = job('a')
    const waiting = [job('b'), job('c')]
    // 'b' already waits: a second request of it pushes nobody out.
    expect(await job('b')).toBe('refused')
    gate.resolve()
    expect(await Promise.all([runningOne, ...waiting])).toEqual(['ok', 'ok', 'ok'])
  })

  it('serves a known device first, and a stranger never displaces one', async () => {
    const queue = createHashQueue({ concurrency: 1, queueSize: 2 })
    const gate = deferred()
    const order: string[] = []
    const job = (client: string, priority = false) =>
      queue
        .run(
          client,
          async () => {
            order.push(client)
            await gate.promise
          },
          { priority },
        )
        .then(
          () => 'ok',
          () => 'refused',
        )
    const first = job('s0')
    const stranger = job('s1')
    const known = job('known', true)
    // Full with a stranger and a known device: a known device displaces the stranger ...
    const secondKnown = job('known2', true)
    expect(await stranger).toBe('refused')
    // ... and a stranger displaces nobody.
    expect(await job('s2')).toBe('refused')
    gate.resolve()
    expect(await Promise.all([first, known, secondKnown])).toEqual(['ok', 'ok', 'ok'])
    expect(order).toEqual(['s0', 'known2', 'known'])
  })

  it('sets no bound with concurrency 0', async () => {
    const queue = createHashQueue({ concurrency: 0, queueSize: 0 })
    const gate = deferred()
    const runs = Array.from({ length: 50 }, () => queue.run('flood', () => gate.promise))
    gate.resolve()
    await expect(Promise.all(runs)).resolves.toHaveLength(50)
  })

  it('refuses bad options with a TypeError naming them', () => {
    expect(() => createHashQueue({ concurrency: -1, queueSize: 1 })).toThrow(/concurrency/)
    expect(() => createHashQueue({ concurrency: 1, queueSize: -1 })).toThrow(/queueSize/)
  })
})
