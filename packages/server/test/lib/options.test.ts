import { describe, expect, it } from 'vitest'
import {
  checkOptions,
  functionRule,
  integerRule,
  oneOfRule,
  optional,
  requiredRule,
} from '../../src/lib/options.js'

describe('checkOptions', () => {
  const rules = {
    store: requiredRule,
    retries: integerRule(0),
    port: integerRule(1, 65535),
    mode: oneOfRule(['body', 'cookie'], 'must be body or cookie'),
    onEvent: optional(functionRule),
  }
  const good = { store: {}, retries: 0, port: 443, mode: 'body' }

  it('returns the options when every one passes', () => {
    expect(checkOptions('createThing', good, rules)).toBe(good)
  })

  it('throws a TypeError naming the function and the first option at fault', () => {
    const refused = (values: object) => () => checkOptions('createThing', values, rules)
    expect(refused({ ...good, store: undefined })).toThrow(
      new TypeError('createThing: options.store is required'),
    )
    expect(refused({ ...good, retries: -1 })).toThrow(
      'createThing: options.retries must be an integer >= 0',
    )
    expect(refused({ ...good, retries: 1.5 })).toThrow('options.retries must be an integer >= 0')
    expect(refused({ ...good, retries: Number.NaN })).toThrow('options.retries')
    expect(refused({ ...good, retries: 2 ** 53 })).toThrow('options.retries')
    expect(refused({ ...good, port: 70000 })).toThrow(
      'createThing: options.port must be an integer from 1 to 65535',
    )
    expect(refused({ ...good, mode: 'both' })).toThrow('options.mode must be body or cookie')
    expect(refused({ ...good, onEvent: 'log' })).toThrow('options.onEvent must be a function')
    expect(refused({ ...good, retries: -1, port: 0 })).toThrow('options.retries')
  })

  it('names nested options by their path', () => {
    expect(() =>
      checkOptions('createLimits', { points: -1 }, { points: integerRule(0) }, 'rules.login'),
    ).toThrow('createLimits: rules.login.points must be an integer >= 0')
  })
})
