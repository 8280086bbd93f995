import { mkdirSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { projectRoot } from '../paths.ts'
import Database from 'better-sqlite3'
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3'
import { migrate } from 'drizzle-orm/better-sqlite3/migrator'
import * as schema from './schema.ts'

export type Db = BetterSQLite3Database<typeof schema> & { $client: Database.Database }

const migrationsFolder = join(projectRoot, 'drizzle')

/**
 * Opens (creating if needed) the SQLite file and applies pending migrations.
 * WAL lets readers run beside the single writer; synchronous=FULL keeps an acknowledged vote on disk
 * even across power loss; the busy timeout makes writers from other processes wait instead of failing.
 */
export function openDatabase (url: string): Db {
  if (url !== ':memory:') mkdirSync(dirname(resolve(url)), { recursive: true })
  const sqlite = new Database(url)
  sqlite.pragma('journal_mode = WAL')
  sqlite.pragma('synchronous = FULL')
  sqlite.pragma('foreign_keys = ON')
  sqlite.pragma('busy_timeout = 5000')
  const db = drizzle(sqlite, { schema }) as Db
  migrate(db, { migrationsFolder })
  return db
}
