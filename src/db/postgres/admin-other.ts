import { and, asc, count, eq, ilike, or, sql, type SQL } from 'drizzle-orm'
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core'
import { likePattern } from '../contains.ts'
import { USERS_PER_PAGE, plural, type AdminChoice, type AdminStore, type Counts } from '../store.ts'
import type { PgDb } from './client.ts'
import type { DataVersion } from './data-version.ts'
import { recordAction } from './admin-log.ts'
import { choices, questions, sessions, users, votes } from './schema.ts'

type Tx = Pick<PgDatabase<PgQueryResultHKT>, 'select'>

// The admin console's choices and users on PostgreSQL, with drizzle's builder: each write one transaction
// with its log entry, as on SQLite (src/db/admin-choices.ts, admin-users.ts).
export function createPgAdminChoices (db: PgDb, dataVersion: DataVersion): AdminStore['choices'] {
  // This node's own next read must not wait for the notification of its change.
  const thenChanged = async <T>(write: Promise<T>): Promise<T> => { const result = await write; dataVersion.changed(); return result }
  // Written out: drizzle leaves a column unqualified inside sql``, which in this subquery would name the votes' own.
  const voteCount = sql<number>`(select count(*)::int from votes v where v.question_id = "choices"."question_id" and v.choice_id = "choices"."id")`
  const columns = { id: choices.id, questionId: choices.questionId, choiceText: choices.choiceText, votes: voteCount }
  const byId = async (tx: Tx, id: number): Promise<AdminChoice | undefined> => (await tx.select(columns).from(choices).where(eq(choices.id, id)))[0]
  const questionText = async (tx: Tx, questionId: number) => (await tx.select({ t: questions.questionText }).from(questions).where(eq(questions.id, questionId)))[0]?.t ?? ''

  return {
    choiceById: (id) => byId(db, id),
    choicesOfQuestion: (questionId) => db.select(columns).from(choices).where(eq(choices.questionId, questionId)).orderBy(asc(choices.id)),

    addChoice: (actor, questionId, choiceText) => thenChanged(db.transaction(async (tx) => {
      // Locking the question keeps it from being deleted before the choice is added.
      const [exists] = await tx.select({ id: questions.id }).from(questions).where(eq(questions.id, questionId)).for('update')
      if (exists === undefined) return undefined
      const [choice] = await tx.insert(choices).values({ questionId, choiceText }).returning()
      if (choice === undefined) return undefined
      await recordAction(tx, actor, {
        objectType: 'choice', objectId: choice.id, questionId, objectRepr: choiceText, action: 'add',
        changeMessage: `Added choice “${choiceText}” to “${await questionText(tx, questionId)}”.`
      })
      return { ...choice, votes: 0 }
    })),

    updateChoice: (actor, id, choiceText) => thenChanged(db.transaction(async (tx) => {
      const [current] = await tx.select().from(choices).where(eq(choices.id, id)).for('update')
      if (current === undefined) return undefined
      if (current.choiceText !== choiceText) {
        await tx.update(choices).set({ choiceText }).where(eq(choices.id, id))
        await recordAction(tx, actor, {
          objectType: 'choice', objectId: id, questionId: current.questionId, objectRepr: choiceText, action: 'change',
          changeMessage: `Changed choice text from “${current.choiceText}” to “${choiceText}”.`
        })
      }
      return byId(tx, id)
    })),

    deleteChoice: (actor, id) => thenChanged(db.transaction(async (tx) => {
      await tx.select({ id: choices.id }).from(choices).where(eq(choices.id, id)).for('update')
      const current = await byId(tx, id)
      if (current === undefined) return undefined
      await tx.delete(votes).where(and(eq(votes.questionId, current.questionId), eq(votes.choiceId, id)))
      await tx.delete(choices).where(eq(choices.id, id))
      await recordAction(tx, actor, {
        objectType: 'choice', objectId: id, questionId: current.questionId, objectRepr: current.choiceText, action: 'delete',
        changeMessage: `Deleted choice “${current.choiceText}” with ${plural(current.votes, 'vote')}.`
      })
      return current
    }))
  }
}

export function createPgAdminUsers (db: PgDb): AdminStore['users'] {
  return {
    async userById (id) { return (await db.select().from(users).where(eq(users.id, id)))[0] },

    async listUsers (query) {
      const conditions: SQL[] = []
      const search = query.search.trim()
      if (search !== '') {
        const pattern = likePattern(search)
        conditions.push(or(...[users.username, users.email, users.firstName, users.lastName].map((c) => ilike(c, pattern))) as SQL)
      }
      if (query.role !== 'any') conditions.push(eq(users.role, query.role))
      const where = conditions.length === 0 ? undefined : and(...conditions)
      const total = (await db.select({ n: count() }).from(users).where(where))[0]?.n ?? 0
      const pages = Math.max(1, Math.ceil(total / USERS_PER_PAGE))
      const page = Math.min(Math.max(1, query.page), pages)
      const rows = await db.select().from(users).where(where).orderBy(asc(users.username), asc(users.id))
        .limit(USERS_PER_PAGE).offset((page - 1) * USERS_PER_PAGE)
      return { rows, total, page, pages }
    },

    setUserActive: (actor, id, active) => db.transaction(async (tx) => {
      const [current] = await tx.select().from(users).where(eq(users.id, id)).for('update')
      if (current === undefined) return undefined
      if (current.isActive === active) return current
      const [user] = await tx.update(users).set({ isActive: active }).where(eq(users.id, id)).returning()
      // Their open sessions end now, on every node: each reads the session row at every request.
      if (!active) await tx.delete(sessions).where(eq(sessions.userId, id))
      await recordAction(tx, actor, {
        objectType: 'user', objectId: id, objectRepr: current.username, action: 'change',
        changeMessage: active ? 'Reactivated.' : 'Deactivated.'
      })
      return user
    })
  }
}

export async function pgCounts (db: PgDb): Promise<Counts> {
  const [row] = await db.select({
    questions: sql<number>`count(*)::int`,
    choices: sql<number>`coalesce(sum(${questions.choiceCount}), 0)::int`,
    votes: sql<number>`coalesce(sum(${questions.voteCount}), 0)::int`,
    users: sql<number>`(select count(*)::int from users)`
  }).from(questions)
  return row ?? { questions: 0, choices: 0, votes: 0, users: 0 }
}
