import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type Database from 'better-sqlite3'
import { readMigrationFiles } from 'drizzle-orm/migrator'

/** A migration failed; nothing of this start's migrations was kept. The message names the migration. */
export class MigrationError extends Error {
  constructor (readonly migration: string, cause: unknown) {
    super(`Migration ${migration} failed, so no migration was applied and the database is as it was: ${cause instanceof Error ? cause.message : String(cause)}`, { cause })
    this.name = 'MigrationError'
  }
}

// drizzle-kit's bookkeeping table, exactly as drizzle's own migrator creates and fills it, so databases
// migrated by either stay interchangeable (and /readyz can count the rows).
const CREATE_TABLE = 'CREATE TABLE IF NOT EXISTS "__drizzle_migrations" (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at numeric)'

/**
 * Applies the pending migrations of drizzle-kit's folder in one `BEGIN IMMEDIATE` transaction.
 *
 * Drizzle's better-sqlite3 migrator reads the last applied migration before its (deferred) `BEGIN`, so two
 * processes starting together on a fresh file both decide to apply everything and the second fails with
 * "table already exists"; it also issues its own `BEGIN`, so it cannot be wrapped in an outer transaction.
 * Here the write lock is taken first and the check happens under it: a second process waits (busy timeout),
 * then finds nothing left to do. One transaction for the whole set keeps a failure from leaving half of it.
 */
export function applyMigrations (sqlite: Database.Database, migrationsFolder: string, lockWaitMs: number): void {
  const migrations = readMigrationFiles({ migrationsFolder })
  const journal = JSON.parse(readFileSync(join(migrationsFolder, 'meta/_journal.json'), 'utf8')) as { entries: Array<{ tag: string }> }
  const busyTimeout = sqlite.pragma('busy_timeout', { simple: true }) as number
  // Another process may be migrating a large table: wait for it longer than a request would.
  sqlite.pragma(`busy_timeout = ${Math.max(busyTimeout, lockWaitMs)}`)
  try {
    sqlite.exec('BEGIN IMMEDIATE')
    try {
      sqlite.exec(CREATE_TABLE)
      const last = sqlite.prepare('SELECT created_at FROM "__drizzle_migrations" ORDER BY created_at DESC LIMIT 1').pluck().get() as number | undefined
      const record = sqlite.prepare('INSERT INTO "__drizzle_migrations" ("hash", "created_at") VALUES (?, ?)')
      migrations.forEach((migration, i) => {
        if (last !== undefined && Number(last) >= migration.folderMillis) return
        const tag = journal.entries[i]?.tag ?? String(migration.folderMillis)
        try {
          for (const statement of migration.sql) sqlite.exec(statement)
        } catch (err) {
          throw new MigrationError(tag, err)
        }
        record.run(migration.hash, migration.folderMillis)
      })
      sqlite.exec('COMMIT')
    } catch (err) {
      // Some errors (SQLITE_FULL, for one) have already rolled the transaction back.
      if (sqlite.inTransaction) sqlite.exec('ROLLBACK')
      throw err
    }
  } finally {
    sqlite.pragma(`busy_timeout = ${busyTimeout}`)
  }
}
