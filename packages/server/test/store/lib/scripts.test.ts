import { readdirSync, readFileSync } from 'node:fs'
import luaparse from 'luaparse'
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
      keys: { user: 'k-user', sessions: 'k-sessions' },
    })
    expect(rotateScript.numberOfKeys).toBe(2)
    expect(argv).toEqual(['k-sessions', 'k-user', 's1', 2, 3, 4, 5])
    expect(
      scriptArguments(revokeSessionScript, {
        args: { sessionId: 's9' },
        keys: { sessions: 'k-sessions' },
      }),
    ).toEqual(['k-sessions', 's9'])
  })

  it('compiles every name into its position, leaving no name and no table of them to build per call', () => {
    // Declared sessions, user; sessionId, generation, now, idleMs, graceMs.
    expect(rotateScript.lua).toContain("redis.call('HGET', KEYS[1], ARGV[1])")
    expect(rotateScript.lua).toContain("redis.call('HGET', KEYS[2], 'n')")
    expect(rotateScript.lua).toContain('tonumber(ARGV[5])')
    for (const script of STORE_SCRIPTS) {
      expect(script.lua, script.name).not.toMatch(/\b(KEY|ARG)\.[A-Za-z]/)
      expect(script.lua, script.name).not.toMatch(/local (KEY|ARG) =/)
      for (let at = 1; at <= script.keys.length; at++) expect(script.lua).toContain(`KEYS[${at}]`)
      for (let at = 1; at <= script.args.length; at++) expect(script.lua).toContain(`ARGV[${at}]`)
      expect(script.lua).not.toContain(`KEYS[${script.keys.length + 1}]`)
      expect(script.lua).not.toContain(`ARGV[${script.args.length + 1}]`)
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

describe('the Lua files of the store', () => {
  const folder = new URL('../../../src/store/scripts/', import.meta.url)
  const files = readdirSync(folder).filter((name) => name.endsWith('.lua'))
  const parse = (lua: string) => luaparse.parse(lua, { luaVersion: '5.1', comments: false })

  it('each parse as the Lua 5.1 of Redis, as written and as Redis runs them', () => {
    expect(files.length).toBeGreaterThan(STORE_SCRIPTS.length)
    for (const file of files) {
      expect(() => parse(readFileSync(new URL(file, folder), 'utf8')), file).not.toThrow()
    }
    for (const script of STORE_SCRIPTS) expect(() => parse(script.lua), script.name).not.toThrow()
  })

  it('are each the body of a store script, or the helpers one of them asks for: none is left over', () => {
    const helpers = readFileSync(new URL('helpers.lua', folder), 'utf8')
    const used = new Set(STORE_SCRIPTS.map((script) => script.file))
    if (STORE_SCRIPTS.some((script) => script.lua.startsWith(helpers))) used.add('helpers.lua')
    expect(files.filter((file) => !used.has(file))).toEqual([])
    expect([...used].filter((file) => !files.includes(file))).toEqual([])
  })
})
