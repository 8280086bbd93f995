import Database from 'better-sqlite3'

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
    renewalsDue: (sub) => read((db) => db.prepare('select s.renew_at from sessions s join users u on u.id = s.user_id where u.sub = ?').pluck().all(sub) as number[])
  }
}
