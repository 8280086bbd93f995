import { join } from 'node:path'
import pg from 'pg'
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres'
import { migrate } from 'drizzle-orm/node-postgres/migrator'
import { projectRoot } from '../../paths.ts'
import * as schema from './schema.ts'

export const POSTGRES_MIGRATIONS = join(projectRoot, 'drizzle-postgres')

export type PgDb = NodePgDatabase<typeof schema> & { $client: pg.Pool }

export interface PgOpenOptions {
  /** Connections this process keeps at most (DATABASE_POOL_SIZE). */
  poolSize?: number
  /** How long a query waits for a free connection (or a new one to open) before failing: 503, never a hang. */
  poolTimeoutMs?: number
  migrationsFolder?: string
  /** Where the pool reports a connection that broke while idle (the server restarted, say). */
  onIdleError?: (err: Error) => void
}

// Any fixed number, the same in every node: the advisory lock that lets one node migrate at a time.
const MIGRATION_LOCK = 727_274_001

/**
 * A bounded pool: every wait is limited (for a connection, for a statement, for a lock, for a
 * transaction left idle), so a database that is down or overloaded answers errors (503), never hangs.
 * A connection that breaks is dropped by the pool and the next query opens a new one: the app
 * recovers by itself when the server is back.
 */
export function createPool (url: string, options: PgOpenOptions = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: options.poolTimeoutMs ?? 2000,
    idleTimeoutMillis: 30_000,
    statement_timeout: 10_000,
    // A server that stopped answering (a network partition) is given up on, rather than waited for.
    query_timeout: 15_000,
    keepAlive: true,
    lock_timeout: 5_000,
    idle_in_transaction_session_timeout: 10_000,
    application_name: 'polls'
  })
  pool.on('error', options.onIdleError ?? (() => {}))
  return pool
}

/**
 * Applies drizzle-kit's pending migrations with drizzle's migrator (one transaction for the set), under
 * a session advisory lock: nodes that start together take turns, and the ones after the first find
 * nothing left to do.
 */
export async function applyPostgresMigrations (pool: pg.Pool, migrationsFolder = POSTGRES_MIGRATIONS, lockWaitMs = 60_000): Promise<void> {
  const client = await pool.connect()
  try {
    await client.query(`set lock_timeout = ${Math.trunc(lockWaitMs)}`)
    await client.query('set statement_timeout = 0')
    await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK])
    try {
      await migrate(drizzle(client, { schema }), { migrationsFolder })
    } finally {
      await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK])
    }
    client.release()
  } catch (err) {
    // The connection's settings were changed: it is not given back to the pool.
    client.release(err as Error)
    throw err
  }
}

export function pgDrizzle (pool: pg.Pool): PgDb {
  return drizzle(pool, { schema }) as PgDb
}
