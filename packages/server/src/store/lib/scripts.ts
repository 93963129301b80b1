import { readFileSync } from 'node:fs'

/**
 * The Lua scripts of the Redis store, each in a file of its own under `store/scripts/`: the
 * build parses them and copies them into `dist/` beside the compiled code, and this module
 * reads them once when it loads. Each runs atomically on the one slot of its declared keys.
 * Times and durations are integer milliseconds. Rotation times, the grace window and expiry
 * are decided on the Redis server's clock (`TIME`, read inside the script: on a cluster the
 * slot's master), so instances whose clocks differ agree on them; a `now` argument that is not
 * empty replaces it (tests that move time). Redis 7 replicates scripts by their effects, so
 * `TIME` is allowed before writes. Real key TTLs (the same durations from the moment of the
 * write) are the backstop that frees memory. Session records are packed as `lib/keys.ts`
 * describes.
 */

/**
 * A script for ioredis `defineCommand` (run by EVALSHA, with EVAL on NOSCRIPT) whose keys and
 * arguments have names. The Lua body is written with `KEY.name` and `ARG.name`, callers pass
 * them as objects, and the one list here decides their positions on both sides: reordering
 * it can never hand a script one value in another's place. The names are compiled into
 * `KEYS[n]` and `ARGV[n]` when the script is defined, so a call builds no table of them.
 */
export interface StoreScript<K extends string = string, A extends string = string> {
  readonly name: string
  /** Key names, in the order of `KEYS`. */
  readonly keys: readonly K[]
  /** Argument names, in the order of `ARGV`. */
  readonly args: readonly A[]
  readonly numberOfKeys: number
  /** The body as Redis runs it: the shared helpers it asked for, its names made positions. */
  readonly lua: string
}

/** What a call of `script` passes: every key and every argument by name. */
export interface ScriptInput<K extends string, A extends string> {
  keys: Readonly<Record<K, string>>
  args: Readonly<Record<A, string | number>>
}

const NAME = /^[A-Za-z][A-Za-z0-9]*$/

/** The source of `scripts/<file>`, next to this module's folder in `src/` and in `dist/` alike. */
function readLua(file: string): string {
  return readFileSync(new URL(`../scripts/${file}`, import.meta.url), 'utf8')
}

/** `scripts/helpers.lua`: put before the body of every script that asks for helpers. */
const HELPERS = readLua('helpers.lua')

/**
 * Defines a script with named keys and arguments. Every name must be a Lua identifier, be
 * declared once and be used by the body, which must not index `KEYS` or `ARGV` itself:
 * checked here, when the module loads, so a slip fails every test rather than one session.
 */
export function defineScript<const K extends string, const A extends string>(definition: {
  name: string
  keys: readonly K[]
  args: readonly A[]
  /** Whether the body uses the shared helpers (`hex`, `num`, `digestOf`, `RECORD`, `clock`). */
  helpers: boolean
  lua: string
}): StoreScript<K, A> {
  const { name, keys, args, lua } = definition
  const problem = (what: string) => new Error(`store script ${name}: ${what}`)
  if (/\b(KEYS|ARGV)\[/.test(lua)) throw problem('reads KEYS or ARGV by position')
  const tables: [string, string, readonly string[]][] = [
    ['KEY', 'KEYS', keys],
    ['ARG', 'ARGV', args],
  ]
  let body = lua
  for (const [table, positional, names] of tables) {
    if (new Set(names).size !== names.length) throw problem(`declares a ${table} name twice`)
    for (const item of names) {
      if (!NAME.test(item)) throw problem(`${table}.${item} is not a Lua name`)
      if (!new RegExp(`\\b${table}\\.${item}\\b`).test(lua))
        throw problem(`never uses ${table}.${item}`)
    }
    body = body.replace(new RegExp(`\\b${table}\\.([A-Za-z0-9]+)\\b`, 'g'), (_, used: string) => {
      const at = names.indexOf(used)
      if (at < 0) throw problem(`uses ${table}.${used}, which it does not declare`)
      return `${positional}[${at + 1}]`
    })
  }
  return {
    name,
    keys,
    args,
    numberOfKeys: keys.length,
    lua: `${definition.helpers ? HELPERS : ''}${body}`,
  }
}

/**
 * The `KEYS` and then `ARGV` of a call, each in its declared order.
 *
 * @example
 * ```ts
 * scriptArguments(revokeSessionScript, { keys: { sessions }, args: { sessionId } })
 * ```
 */
export function scriptArguments<K extends string, A extends string>(
  script: StoreScript<K, A>,
  input: ScriptInput<K, A>,
): (string | number)[] {
  return [
    ...script.keys.map((key) => input.keys[key]),
    ...script.args.map((arg) => input.args[arg]),
  ]
}

/** A store script whose body is a file of `store/scripts/`. */
export interface StoreScriptFile<K extends string = string, A extends string = string>
  extends StoreScript<K, A> {
  /** The file's name in `store/scripts/`. */
  readonly file: string
}

/** Defines a script, as {@link defineScript} does, whose body is `store/scripts/<file>`. */
function storeScript<const K extends string, const A extends string>(definition: {
  name: string
  keys: readonly K[]
  args: readonly A[]
  helpers: boolean
  file: string
}): StoreScriptFile<K, A> {
  const { file, ...rest } = definition
  return { ...defineScript({ ...rest, lua: readLua(file) }), file }
}

/** `scripts/create-session.lua`: see its header for its keys, arguments and reply. */
export const createSessionScript = storeScript({
  name: 'refreshKitCreateSession',
  keys: ['sessions', 'user'],
  args: [
    'sessionId',
    'now',
    'idleHex',
    'maxAgeHex',
    'userTtlMs',
    'userAgentDigest',
    'indexRenewalSeconds',
    'maxSessions',
    'passwordVersion',
  ],
  helpers: true,
  file: 'create-session.lua',
})

/** `scripts/rotate.lua`: see its header for its keys, arguments and reply. */
export const rotateScript = storeScript({
  name: 'refreshKitRotate',
  keys: ['sessions', 'user'],
  args: ['sessionId', 'generation', 'now', 'idleMs', 'graceMs'],
  helpers: true,
  file: 'rotate.lua',
})

/** `scripts/get-session.lua`: see its header for its keys, arguments and reply. */
export const getSessionScript = storeScript({
  name: 'refreshKitGetSession',
  keys: ['sessions'],
  args: ['sessionId', 'now'],
  helpers: true,
  file: 'get-session.lua',
})

/** `scripts/list-sessions.lua`: see its header for its keys, arguments and reply. */
export const listSessionsScript = storeScript({
  name: 'refreshKitListSessions',
  keys: ['sessions'],
  args: ['now'],
  helpers: true,
  file: 'list-sessions.lua',
})

/** `scripts/share-user-agent.lua`: see its header for its keys, arguments and reply. */
export const shareUserAgentScript = storeScript({
  name: 'refreshKitShareUserAgent',
  keys: ['userAgent'],
  args: ['userAgent', 'ttlMs'],
  helpers: false,
  file: 'share-user-agent.lua',
})

/** `scripts/release-user-agent.lua`: see its header for its keys, arguments and reply. */
export const releaseUserAgentScript = storeScript({
  name: 'refreshKitReleaseUserAgent',
  keys: ['userAgent'],
  args: [],
  helpers: false,
  file: 'release-user-agent.lua',
})

/** `scripts/revoke-session.lua`: see its header for its keys, arguments and reply. */
export const revokeSessionScript = storeScript({
  name: 'refreshKitRevokeSession',
  keys: ['sessions'],
  args: ['sessionId'],
  helpers: true,
  file: 'revoke-session.lua',
})

/** `scripts/revoke-all-sessions.lua`: see its header for its keys, arguments and reply. */
export const revokeAllSessionsScript = storeScript({
  name: 'refreshKitRevokeAllSessions',
  keys: ['sessions'],
  args: ['keepSessionId'],
  helpers: true,
  file: 'revoke-all-sessions.lua',
})

/** `scripts/set-password-hash.lua`: see its header for its keys, arguments and reply. */
export const setPasswordHashScript = storeScript({
  name: 'refreshKitSetPasswordHash',
  keys: ['user'],
  args: ['passwordHash', 'rehashOf'],
  helpers: false,
  file: 'set-password-hash.lua',
})

/** `scripts/put-user.lua`: see its header for its keys, arguments and reply. */
export const putUserScript = storeScript({
  name: 'refreshKitPutUser',
  keys: ['user'],
  args: ['username', 'passwordHash', 'createdAt', 'userTtlMs'],
  helpers: false,
  file: 'put-user.lua',
})

/** `scripts/release-username.lua`: see its header for its keys, arguments and reply. */
export const releaseUsernameScript = storeScript({
  name: 'refreshKitReleaseUsername',
  keys: ['usernameIndex'],
  args: ['userId'],
  helpers: false,
  file: 'release-username.lua',
})

/** `scripts/reclaim-username.lua`: see its header for its keys, arguments and reply. */
export const reclaimUsernameScript = storeScript({
  name: 'refreshKitReclaimUsername',
  keys: ['usernameIndex'],
  args: ['holderId', 'userId', 'userTtlMs', 'maxAbandonedPttlMs'],
  helpers: false,
  file: 'reclaim-username.lua',
})

/** Every script, for registration on a client. */
export const STORE_SCRIPTS: readonly StoreScriptFile[] = [
  createSessionScript,
  rotateScript,
  getSessionScript,
  listSessionsScript,
  shareUserAgentScript,
  releaseUserAgentScript,
  revokeSessionScript,
  revokeAllSessionsScript,
  setPasswordHashScript,
  putUserScript,
  releaseUsernameScript,
  reclaimUsernameScript,
]
