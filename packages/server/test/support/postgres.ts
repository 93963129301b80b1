import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { afterAll, beforeAll } from 'vitest'

/**
 * The PostgreSQL the tests use: `POSTGRES_URL` (`.ci/run` starts a cluster of its own and
 * sets it), else the local server with trust authentication.
 */
export const POSTGRES_URL =
  process.env.POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'

/** A database of the test's own, created before its tests and dropped after them. */
export interface TestDatabase {
  /** A pool on the test's database. */
  pool(): pg.Pool
  /** Its connection URL. */
  url(): string
}

/** Creates a fresh database for the calling test file and drops it (and its connections) after. */
export function useTestDatabase(label: string): TestDatabase {
  const name = `rk_${label.replace(/[^a-z0-9_]/g, '_')}_${randomBytes(4).toString('hex')}`
  let pool: pg.Pool | undefined
  let url = ''
  beforeAll(async () => {
    const admin = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 5000 })
    await admin.connect()
    try {
      await admin.query(`CREATE DATABASE "${name}"`)
    } finally {
      await admin.end()
    }
    const parsed = new URL(POSTGRES_URL)
    parsed.pathname = `/${name}`
    url = parsed.toString()
    pool = new pg.Pool({ connectionString: url, max: 4, connectionTimeoutMillis: 5000 })
    // pool.end() resolves once its clients are asked to close, which may be before the server
    // has let their connections go: the DROP below then terminates them, and a client the pool
    // no longer listens to would report that (57P01, admin_shutdown) as an unhandled error.
    pool.on('connect', (client) => {
      client.on('error', (error: Error & { code?: string }) => {
        if (error.code !== '57P01') throw error
      })
    })
  })
  afterAll(async () => {
    await pool?.end()
    const admin = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 5000 })
    await admin.connect()
    try {
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)
    } finally {
      await admin.end()
    }
  })
  return {
    pool() {
      if (pool === undefined) throw new Error('the test database exists only inside tests')
      return pool
    },
    url: () => url,
  }
}
