import { ReplyError } from 'ioredis'
import { describe, expect, it } from 'vitest'
import { StoreUnavailableError } from '../../../src/errors.js'
import { isUnavailable, storeError } from '../../../src/store/lib/unavailable.js'

function named(name: string, message: string): Error {
  const error = new Error(message)
  Object.defineProperty(error, 'name', { value: name })
  return error
}

function withCode(code: string): Error {
  return Object.assign(new Error(`connect ${code} 127.0.0.1:6379`), { code })
}

describe('isUnavailable', () => {
  it.each([
    [
      'a Redis still loading its data set',
      new ReplyError('LOADING Redis is loading the dataset in memory'),
    ],
    ['a cluster that is down', new ReplyError('CLUSTERDOWN The cluster is down')],
    ['a replica cut off from its master', new ReplyError('MASTERDOWN Link with MASTER is down')],
    [
      'a write to a master demoted by a failover (regression: READONLY was a 500)',
      new ReplyError("READONLY You can't write against a read only replica."),
    ],
    ['a closed connection', new Error('Connection is closed.')],
    [
      'a disabled offline queue',
      new Error("Stream isn't writeable and enableOfflineQueue options is false"),
    ],
    [
      'a cluster not ready',
      new Error("Cluster isn't ready and enableOfflineQueue options is false"),
    ],
    ['a command timeout', new Error('Command timed out')],
    ['a connect timeout', new Error('connect ETIMEDOUT')],
    [
      'a command given up after retries',
      named('MaxRetriesPerRequestError', 'Reached the max retries per request limit (which is 1).'),
    ],
    [
      'a command aborted by a closing connection',
      named('AbortError', 'Command aborted due to connection close'),
    ],
    [
      'every cluster node failing',
      named('ClusterAllFailedError', 'Failed to refresh slots cache.'),
    ],
    ['a refused connection', withCode('ECONNREFUSED')],
    ['a reset connection', withCode('ECONNRESET')],
  ])('is true for %s', (_, error) => {
    expect(isUnavailable(error)).toBe(true)
  })

  it.each([
    [
      'a Lua error',
      new ReplyError('ERR user_script:3: Script attempted to access nonexistent global variable'),
    ],
    [
      'a wrong key type',
      new ReplyError('WRONGTYPE Operation against a key holding the wrong kind of value'),
    ],
    ['a wrong password', new ReplyError('WRONGPASS invalid username-password pair')],
    ['a missing script', new ReplyError('NOSCRIPT No matching script. Please use EVAL.')],
    ['a reply error that merely mentions a timeout', new ReplyError('ERR Command timed out')],
    ['a programming error', new TypeError("Cannot read properties of undefined (reading 'id')")],
    ['something that is not an error', 'Connection is closed.'],
  ])('is false for %s', (_, error) => {
    expect(isUnavailable(error)).toBe(false)
  })
})

describe('storeError', () => {
  it('wraps an outage, keeping the cause', () => {
    const cause = new Error('Connection is closed.')
    const wrapped = storeError(cause)
    expect(wrapped).toBeInstanceOf(StoreUnavailableError)
    expect((wrapped as StoreUnavailableError).cause).toBe(cause)
  })

  it('returns anything else unchanged', () => {
    const bug = new RangeError('bug')
    expect(storeError(bug)).toBe(bug)
    const already = new StoreUnavailableError()
    expect(storeError(already)).toBe(already)
  })
})
