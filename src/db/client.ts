import { mkdirSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { projectRoot } from '../paths.ts'
import Database from 'better-sqlite3'
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3'
import { applyMigrations } from './migrate.ts'
import * as schema from './schema.ts'

export const SQLITE_MIGRATIONS = join(projectRoot, 'drizzle')

export type Db = BetterSQLite3Database<typeof schema> & { $client: Database.Database }

export interface OpenOptions {
  /** How long a write waits for another connection's lock before failing with SQLITE_BUSY (503). */
  busyTimeoutMs?: number
  /** drizzle-kit's output folder; tests point it elsewhere. */
  migrationsFolder?: string
}

/**
 * Opens (creating if needed) the SQLite file and applies pending migrations under a write lock.
 * WAL lets readers run beside the single writer; synchronous=FULL keeps an acknowledged vote on disk
 * even across power loss; the busy timeout makes writers from other processes wait instead of failing.
 */
export function openDatabase (url: string, options: OpenOptions = {}): Db {
  if (url !== ':memory:') mkdirSync(dirname(resolve(url)), { recursive: true })
  const sqlite = new Database(url)
  try {
    // First, so that switching a fresh file to WAL waits for another process doing the same.
    sqlite.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`)
    sqlite.pragma('journal_mode = WAL')
    sqlite.pragma('synchronous = FULL')
    sqlite.pragma('foreign_keys = ON')
    applyMigrations(sqlite, options.migrationsFolder ?? SQLITE_MIGRATIONS, 60_000)
  } catch (err) {
    sqlite.close()
    throw err
  }
  return drizzle(sqlite, { schema }) as Db
}
