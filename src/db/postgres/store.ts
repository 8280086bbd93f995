import type pg from 'pg'
import type { Store } from '../store.ts'
import { POSTGRES_MIGRATIONS, applyPostgresMigrations, createPool, pgDrizzle, type PgDb, type PgOpenOptions } from './client.ts'
import { listenForChanges } from './data-version.ts'
import { createPgPollStore } from './polls.ts'
import { createPgSessionStore } from './sessions.ts'
import { createPgUserStore } from './users.ts'
import { createPgAdminQuestions } from './admin-questions.ts'
import { createPgAdminChoices, createPgAdminUsers, pgCounts } from './admin-other.ts'
import { createPgAdminLog } from './admin-log.ts'
import { pgCreateQuestion, pgSeedBulk } from './seed.ts'

/** The PostgreSQL store; `pool` and `db` are for tools and tests that look at the database itself. */
export interface PostgresStore extends Store { readonly kind: 'postgres', readonly pool: pg.Pool, readonly db: PgDb }

export interface PostgresStoreOptions extends PgOpenOptions {
  /** Where connection trouble outside any request is reported (an idle connection lost, the listener). */
  onBackgroundError?: (err: Error) => void
}

/** A pool on DATABASE_URL, migrated (once across nodes) before it is returned. */
export async function openPostgresStore (url: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
  const onError = options.onBackgroundError ?? (() => {})
  const pool = createPool(url, { ...options, onIdleError: onError })
  const migrationsFolder = options.migrationsFolder ?? POSTGRES_MIGRATIONS
  try {
    await applyPostgresMigrations(pool, migrationsFolder)
  } catch (err) {
    await pool.end()
    throw err
  }
  const db = pgDrizzle(pool)
  const dataVersion = listenForChanges(url, onError)
  return {
    kind: 'postgres',
    pool,
    db,
    migrationsFolder,
    polls: createPgPollStore(pool, dataVersion),
    sessions: createPgSessionStore(db, pool),
    users: createPgUserStore(db),
    admin: {
      questions: createPgAdminQuestions(db, dataVersion),
      choices: createPgAdminChoices(db, dataVersion),
      users: createPgAdminUsers(db),
      log: createPgAdminLog(db),
      counts: () => pgCounts(db)
    },
    async migrationsApplied () {
      return (await pool.query('select count(*)::int as n from drizzle.__drizzle_migrations')).rows[0].n as number
    },
    async createQuestion (input) {
      const question = await pgCreateQuestion(db, input)
      dataVersion.changed()
      return question
    },
    seedBulk: (options) => pgSeedBulk(url, options),
    async close () {
      await dataVersion.close()
      await pool.end()
    }
  }
}
