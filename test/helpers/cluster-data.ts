import Database from 'better-sqlite3'
import pg from 'pg'

/**
 * What the several-nodes tests read straight from the shared database, beside the app, to check what
 * the nodes acknowledged. Raw SQL on purpose: the check must not go through the code it checks.
 */
export interface ClusterData {
  /** Published questions with their first choice, oldest first. */
  openQuestions: () => Promise<Array<{ id: number, choice: number }>>
  /** Which acknowledged votes (user sub, question) are stored, and the integrity check's answer. */
  votesStored: (acknowledged: Array<{ sub: string, questionId: number }>) => Promise<{ stored: number, lost: Array<{ sub: string, questionId: number }>, integrity: string }>
  questionText: (id: number) => Promise<string | undefined>
  /** Rows in drizzle's migrations table: one per migration when they ran once. */
  migrationRows: () => Promise<number>
  userId: (sub: string) => Promise<number | undefined>
  /** When each open session of a user is due for renewal (ms since the epoch). */
  renewalsDue: (sub: string) => Promise<number[]>
  close: () => Promise<void>
}

export function sqliteData (file: string): ClusterData {
  const read = async <T>(fn: (db: Database.Database) => T): Promise<T> => {
    const db = new Database(file, { readonly: true })
    try { return fn(db) } finally { db.close() }
  }
  return {
    openQuestions: () => read((db) => db.prepare('select q.id as id, min(c.id) as choice from questions q join choices c on c.question_id = q.id where q.pub_date <= ? group by q.id order by q.id').all(Date.now()) as Array<{ id: number, choice: number }>),
    votesStored: (acknowledged) => read((db) => {
      const has = db.prepare('select 1 from votes v join users u on u.id = v.user_id where u.sub = ? and v.question_id = ?')
      const lost = acknowledged.filter((a) => has.get(a.sub, a.questionId) === undefined)
      return { stored: acknowledged.length - lost.length, lost, integrity: String(db.pragma('integrity_check', { simple: true })) }
    }),
    questionText: (id) => read((db) => db.prepare('select question_text from questions where id = ?').pluck().get(id) as string | undefined),
    migrationRows: () => read((db) => db.prepare('select count(*) from __drizzle_migrations').pluck().get() as number),
    userId: (sub) => read((db) => db.prepare('select id from users where sub = ?').pluck().get(sub) as number | undefined),
    renewalsDue: (sub) => read((db) => db.prepare('select s.renew_at from sessions s join users u on u.id = s.user_id where u.sub = ?').pluck().all(sub) as number[]),
    close: async () => {}
  }
}

/** The same reads on PostgreSQL; "integrity" there is every question's vote total equal to its rows. */
export function postgresData (url: string): ClusterData {
  const pool = new pg.Pool({ connectionString: url, max: 2, allowExitOnIdle: true })
  const rows = async <T>(text: string, values: unknown[] = []): Promise<T[]> => (await pool.query(text, values)).rows as T[]
  return {
    openQuestions: () => rows('select q.id as id, min(c.id) as choice from questions q join choices c on c.question_id = q.id where q.pub_date <= now() group by q.id order by q.id'),
    votesStored: async (acknowledged) => {
      const stored = new Set((await rows<{ key: string }>('select u.sub || \':\' || v.question_id as key from votes v join users u on u.id = v.user_id')).map((r) => r.key))
      const lost = acknowledged.filter((a) => !stored.has(`${a.sub}:${a.questionId}`))
      const [mismatch] = await rows<{ n: number }>('select count(*)::int as n from questions q where q.vote_count <> (select count(*) from votes v where v.question_id = q.id)')
      return { stored: acknowledged.length - lost.length, lost, integrity: mismatch?.n === 0 ? 'ok' : `${mismatch?.n} questions' vote totals differ from their rows` }
    },
    questionText: async (id) => (await rows<{ text: string }>('select question_text as text from questions where id = $1', [id]))[0]?.text,
    migrationRows: async () => (await rows<{ n: number }>('select count(*)::int as n from drizzle.__drizzle_migrations'))[0]?.n ?? 0,
    userId: async (sub) => (await rows<{ id: number }>('select id from users where sub = $1', [sub]))[0]?.id,
    renewalsDue: async (sub) => (await rows<{ at: Date }>('select s.renew_at as at from sessions s join users u on u.id = s.user_id where u.sub = $1', [sub])).map((r) => r.at.getTime()),
    close: () => pool.end()
  }
}
