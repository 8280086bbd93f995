import { SQLITE_MIGRATIONS, openDatabase, type Db, type OpenOptions } from './client.ts'
import { createPollQueries } from './polls.ts'
import { createUserQueries } from './users.ts'
import { createSessionQueries } from './sessions.ts'
import { createAdminQuestionQueries } from './admin-questions.ts'
import { createAdminChoiceQueries } from './admin-choices.ts'
import { createAdminUserQueries } from './admin-users.ts'
import { createAdminLogQueries } from './admin-log.ts'
import { createQuestion } from './seed.ts'
import { seedBulk } from './bulk-seed.ts'
import type { Counts, Store } from './store.ts'

/** The SQLite store; `db` is for what only SQLite has (backups, tests that look at the file). */
export interface SqliteStore extends Store { readonly kind: 'sqlite', readonly db: Db }

/** One connection per process (better-sqlite3 is synchronous); migrations run before it is returned. */
export function openSqliteStore (path: string, options: OpenOptions = {}): SqliteStore {
  const migrationsFolder = options.migrationsFolder ?? SQLITE_MIGRATIONS
  return sqliteStore(openDatabase(path, { ...options, migrationsFolder }), migrationsFolder)
}

export function sqliteStore (db: Db, migrationsFolder = SQLITE_MIGRATIONS): SqliteStore {
  const countsStmt = db.$client.prepare<[], Counts>(
    // From the per-question totals the triggers keep: no scan of a million votes per page view.
    `select count(*) as questions, coalesce(sum(choice_count), 0) as choices, coalesce(sum(vote_count), 0) as votes,
      (select count(*) from users) as users from questions`)
  const migrationsStmt = db.$client.prepare('select count(*) from __drizzle_migrations').pluck()
  return {
    kind: 'sqlite',
    db,
    migrationsFolder,
    polls: createPollQueries(db),
    users: createUserQueries(db),
    sessions: createSessionQueries(db),
    admin: {
      questions: createAdminQuestionQueries(db),
      choices: createAdminChoiceQueries(db),
      users: createAdminUserQueries(db),
      log: createAdminLogQueries(db),
      counts: () => countsStmt.get() as Counts
    },
    migrationsApplied: () => migrationsStmt.get() as number,
    createQuestion: (input) => createQuestion(db, input),
    seedBulk: (options) => seedBulk(db, options),
    close: async () => { db.$client.close() }
  }
}
