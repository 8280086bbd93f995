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
 * Switching a fresh file to WAL is a rollback-mode write. When several processes open the file together,
 * SQLite answers one of them SQLITE_BUSY at once, without its busy handler, because waiting could
 * deadlock (it holds a shared lock another needs gone). Nothing is held after that error, so the pragma
 * is simply sent again after a short pause, until the deadline.
 */
function switchToWal (sqlite: Database.Database, deadlineMs: number): void {
  const until = Date.now() + deadlineMs
  const pause = new Int32Array(new SharedArrayBuffer(4))
  for (;;) {
    try {
      sqlite.pragma('journal_mode = WAL')
      return
    } catch (err) {
      if ((err as { code?: string }).code !== 'SQLITE_BUSY' || Date.now() >= until) throw err
      Atomics.wait(pause, 0, 0, 5 + Math.random() * 20)
    }
  }
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
    const busyTimeoutMs = options.busyTimeoutMs ?? 5000
    sqlite.pragma(`busy_timeout = ${busyTimeoutMs}`)
    switchToWal(sqlite, Math.max(busyTimeoutMs, 60_000))
    sqlite.pragma('synchronous = FULL')
    sqlite.pragma('foreign_keys = ON')
    applyMigrations(sqlite, options.migrationsFolder ?? SQLITE_MIGRATIONS, 60_000)
  } catch (err) {
    sqlite.close()
    throw err
  }
  return drizzle(sqlite, { schema }) as Db
}
