import type { Pool, PoolClient } from 'pg'
import { StoreUnavailableError } from '../../errors.js'
import { createPasswordHasher, type PasswordHasher } from '../password-hashing.js'
import type { AuthUser, UserAdapter } from './types.js'

/** What the adapter runs its queries on: a `pg.Pool` (or a client you manage). */
export type PostgresQueryable = Pick<Pool | PoolClient, 'query'>

/** Options of {@link createPostgresUsers}. */
export interface PostgresUsersOptions {
  /**
   * A `pg.Pool`, built by you (set `connectionTimeoutMillis` so an outage fails fast: the
   * adapter turns a connection failure into `503 service_unavailable`). Required.
   */
  pool: PostgresQueryable
  /** The users table, a plain lower-case SQL name. @default 'refresh_kit_users' */
  table?: string
  /** Hashes and verifies passwords. @default createPasswordHasher() (scrypt) */
  passwords?: PasswordHasher
  /**
   * Whether `POST /auth/register` creates users in this table. Turn it off when users are
   * created elsewhere (your own sign-up flow). @default true
   */
  registration?: boolean
}

/** A {@link UserAdapter} on PostgreSQL, with the statement that creates its table. */
export interface PostgresUserAdapter extends UserAdapter {
  /** `CREATE TABLE IF NOT EXISTS` for the users table and its case-insensitive name index. */
  readonly schemaSql: string
  /** Runs {@link PostgresUserAdapter.schemaSql}. */
  createTable(): Promise<void>
}

interface UserRow {
  id: string
  username: string
  password_hash: string
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const NETWORK_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND'])

/** Whether a pg error means the database cannot be reached, rather than a bad query. */
function isUnavailable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code
  if (typeof code === 'string') {
    // SQLSTATE 08: connection exception; 57P: the server is shutting down or restarting.
    if (code.startsWith('08') || code.startsWith('57P') || NETWORK_ERRORS.has(code)) return true
  }
  const message = (error as Error | null)?.message ?? ''
  return /timeout exceeded when trying to connect|Connection terminated/i.test(message)
}

/**
 * An example {@link UserAdapter}: users in a PostgreSQL table, with scrypt password hashes,
 * usernames unique without regard to case, ids as UUIDs. The token server keeps the
 * sessions in Redis, the limits and the timing of failures; this adapter only answers.
 *
 * @example
 * ```ts
 * import pg from 'pg'
 * import { createPostgresUsers } from '@refresh-kit/server/postgres'
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, connectionTimeoutMillis: 2000 })
 * const users = createPostgresUsers({ pool })
 * await users.createTable()
 * const auth = createAuthService({ ...settings, store, keys, users })
 * ```
 */
export function createPostgresUsers(options: PostgresUsersOptions): PostgresUserAdapter {
  const { pool } = options
  if (pool === undefined || typeof pool.query !== 'function') {
    throw new TypeError('createPostgresUsers: options.pool must be a pg.Pool')
  }
  const table = options.table ?? 'refresh_kit_users'
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(table)) {
    throw new TypeError(
      'createPostgresUsers: options.table must be a lower-case SQL name of letters, digits and _',
    )
  }
  const passwords = options.passwords ?? createPasswordHasher()
  const schemaSql = [
    `CREATE TABLE IF NOT EXISTS "${table}" (`,
    '  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),',
    '  username text NOT NULL,',
    '  password_hash text NOT NULL,',
    '  created_at timestamptz NOT NULL DEFAULT now()',
    ');',
    `CREATE UNIQUE INDEX IF NOT EXISTS "${table}_username_key" ON "${table}" (lower(username));`,
  ].join('\n')

  const query = async <Row extends object>(text: string, values: unknown[]): Promise<Row[]> => {
    try {
      const result = await pool.query(text, values)
      return result.rows as Row[]
    } catch (error) {
      if (isUnavailable(error)) {
        throw new StoreUnavailableError('the user database is unavailable', { cause: error })
      }
      throw error
    }
  }
  const publicUser = (row: { id: string; username: string }): AuthUser => ({
    id: row.id,
    username: row.username,
  })

  const adapter: PostgresUserAdapter = {
    schemaSql,
    async createTable() {
      await query(schemaSql, [])
    },
    async authenticate(username, password) {
      const [row] = await query<UserRow>(
        `SELECT id::text AS id, username, password_hash FROM "${table}" WHERE lower(username) = lower($1)`,
        [username],
      )
      if (row === undefined) {
        await passwords.verifyNothing(password)
        return null
      }
      return (await passwords.verify(password, row.password_hash)) ? publicUser(row) : null
    },
    async findById(id) {
      // Not a UUID: no such user (and no cast error from PostgreSQL).
      if (!UUID.test(id)) return null
      const [row] = await query<UserRow>(
        `SELECT id::text AS id, username FROM "${table}" WHERE id = $1::uuid`,
        [id],
      )
      return row === undefined ? null : publicUser(row)
    },
  }
  if (options.registration ?? true) {
    adapter.create = async (username, password) => {
      const passwordHash = await passwords.hash(password)
      // The unique index on lower(username) decides between concurrent registrations.
      const [row] = await query<UserRow>(
        `INSERT INTO "${table}" (username, password_hash) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING id::text AS id, username`,
        [username, passwordHash],
      )
      return row === undefined ? null : publicUser(row)
    }
  }
  return adapter
}
