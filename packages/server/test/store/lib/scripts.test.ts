import { describe, expect, it } from 'vitest'
import {
  defineScript,
  revokeSessionScript,
  rotateScript,
  STORE_SCRIPTS,
  scriptArguments,
} from '../../../src/store/lib/scripts.js'

describe('store scripts with named keys and arguments', () => {
  it('passes keys, then arguments, each in the order its definition lists them', () => {
    const argv = scriptArguments(rotateScript, {
      // Written in another order than declared: names, not positions, decide.
      args: { graceMs: 5, now: 3, idleMs: 4, generation: 2, sessionId: 's1' },
      keys: { user: 'k-user', userAgent: 'k-ua', sessions: 'k-sessions' },
    })
    expect(rotateScript.numberOfKeys).toBe(3)
    expect(argv).toEqual(['k-sessions', 'k-ua', 'k-user', 's1', 2, 3, 4, 5])
    expect(
      scriptArguments(revokeSessionScript, {
        args: { sessionId: 's9' },
        keys: { userAgent: 'k-ua', sessions: 'k-sessions' },
      }),
    ).toEqual(['k-sessions', 'k-ua', 's9'])
  })

  it('binds every name to its position in the Lua prelude, and never indexes KEYS or ARGV in a body', () => {
    expect(rotateScript.lua).toMatch(
      /^local KEY = \{sessions = KEYS\[1\], userAgent = KEYS\[2\], user = KEYS\[3\]\}\nlocal ARG = \{sessionId = ARGV\[1\], generation = ARGV\[2\], now = ARGV\[3\], idleMs = ARGV\[4\], graceMs = ARGV\[5\]\}\n/,
    )
    for (const script of STORE_SCRIPTS) {
      const [, , ...body] = script.lua.split('\n')
      expect(body.join('\n'), script.name).not.toMatch(/\b(KEYS|ARGV)\[/)
      for (const key of script.keys) expect(script.lua).toContain(`KEY.${key}`)
      for (const arg of script.args) expect(script.lua).toContain(`ARG.${arg}`)
    }
  })

  it('refuses a definition whose body and names disagree, when the module loads', () => {
    const define = (lua: string) => () =>
      defineScript({ name: 'probe', keys: ['counter'], args: ['windowMs'], helpers: false, lua })
    expect(define('return {KEY.counter, ARG.windowMs}')).not.toThrow()
    expect(define('return {KEYS[1], ARG.windowMs}')).toThrow(/by position/)
    expect(define('return KEY.counter')).toThrow(/never uses ARG.windowMs/)
    expect(define('return {KEY.counter, ARG.windowMs, ARG.now}')).toThrow(
      /uses ARG.now, which it does not declare/,
    )
  })
})
