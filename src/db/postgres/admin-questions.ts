import { and, asc, count, desc, eq, gte, inArray, lt, sql, type SQL } from 'drizzle-orm'
import type { AnyPgColumn } from 'drizzle-orm/pg-core'
import { likePattern } from '../contains.ts'
import {
  PER_PAGE, changedFields, dateFilterRange, plural,
  type AdminStore, type DeletionSummary, type QuestionListQuery, type SortKey, type UpdateResult
} from '../store.ts'
import type { PgDb } from './client.ts'
import type { DataVersion } from './data-version.ts'
import { recordAction } from './admin-log.ts'
import { choices, questions } from './schema.ts'

const SORT_COLUMNS: Record<SortKey, AnyPgColumn> = {
  text: questions.questionText, pub_date: questions.pubDate, choices: questions.choiceCount, votes: questions.voteCount
}
const summaryColumns = { id: questions.id, questionText: questions.questionText, choiceCount: questions.choiceCount, voteCount: questions.voteCount }

/**
 * The admin table on PostgreSQL: a search is ILIKE '%text%' answered by the pg_trgm GIN index on the
 * question text (combined with the pub_date index for a date filter by a bitmap AND), and a page is
 * the sort index walked in order; the planner picks between the two from the statistics.
 */
export function createPgAdminQuestions (db: PgDb, dataVersion: DataVersion): AdminStore['questions'] {
  return {
    async questionById (id) { return (await db.select().from(questions).where(eq(questions.id, id)))[0] },

    async listQuestions (query: QuestionListQuery, now = new Date()) {
      const search = query.search.trim()
      const range = dateFilterRange(query.date, now)
      const conditions: SQL[] = []
      if (search !== '') conditions.push(sql`${questions.questionText} ilike ${likePattern(search)}`)
      if (range !== undefined) conditions.push(gte(questions.pubDate, range.from), lt(questions.pubDate, range.until))
      const where = conditions.length === 0 ? undefined : and(...conditions)
      const total = (await db.select({ n: count() }).from(questions).where(where))[0]?.n ?? 0
      const pages = Math.max(1, Math.ceil(total / PER_PAGE))
      const page = Math.min(Math.max(1, query.page), pages)
      const dir = query.descending ? desc : asc
      // The page's ids first, from the sort index alone (a deep page skips entries, not rows), then their rows.
      const order = [dir(SORT_COLUMNS[query.sort]), dir(questions.id)]
      const ids = total === 0
        ? []
        : (await db.select({ id: questions.id }).from(questions).where(where).orderBy(...order).limit(PER_PAGE).offset((page - 1) * PER_PAGE)).map((r) => r.id)
      const rows = ids.length === 0 ? [] : await db.select().from(questions).where(inArray(questions.id, ids)).orderBy(...order)
      return { rows, total, page, pages }
    },

    async createQuestion (actor, input) {
      const question = await db.transaction(async (tx) => {
        const [created] = await tx.insert(questions).values({ questionText: input.questionText, pubDate: input.pubDate }).returning()
        if (created === undefined) throw new Error('createQuestion: the insert returned no row')
        const texts = input.choices.map((c) => c.trim()).filter((c) => c !== '')
        if (texts.length > 0) await tx.insert(choices).values(texts.map((choiceText) => ({ questionId: created.id, choiceText })))
        await recordAction(tx, actor, {
          objectType: 'question', objectId: created.id, questionId: created.id, objectRepr: created.questionText, action: 'add',
          changeMessage: texts.length === 0 ? 'Added.' : `Added, with choices ${texts.map((c) => `“${c}”`).join(', ')}.`
        })
        return { ...created, choiceCount: texts.length, resultsVersion: created.resultsVersion + texts.length }
      })
      dataVersion.changed()
      return question
    },

    async updateQuestion (actor, id, expectedVersion, input) {
      const result = await db.transaction(async (tx): Promise<UpdateResult> => {
        // The row is locked until the commit, so a concurrent edit waits here and then sees the new version.
        const [current] = await tx.select().from(questions).where(eq(questions.id, id)).for('update')
        if (current === undefined) return { ok: false, reason: 'not-found' }
        if (current.version !== expectedVersion) return { ok: false, reason: 'conflict', current }
        const changed = changedFields(current, input)
        if (changed.length === 0) return { ok: true, question: current, changed }
        const [question] = await tx.update(questions)
          .set({ questionText: input.questionText, pubDate: input.pubDate, version: current.version + 1 })
          .where(and(eq(questions.id, id), eq(questions.version, expectedVersion))).returning()
        if (question === undefined) return { ok: false, reason: 'conflict', current }
        await recordAction(tx, actor, {
          objectType: 'question', objectId: id, questionId: id, objectRepr: question.questionText, action: 'change',
          changeMessage: `Changed ${changed.join(' and ')}.`
        })
        return { ok: true, question, changed }
      })
      if (result.ok && result.changed.length > 0) dataVersion.changed()
      return result
    },

    async deletionSummary (ids) {
      if (ids.length === 0) return []
      return db.select(summaryColumns).from(questions).where(inArray(questions.id, ids)).orderBy(asc(questions.id))
    },

    async deleteQuestions (actor, ids) {
      if (ids.length === 0) return []
      const deleted = await db.transaction(async (tx): Promise<DeletionSummary[]> => {
        // Locked, so the counts logged are the ones deleted (a vote cannot slip in between).
        const doomed = await tx.select(summaryColumns).from(questions).where(inArray(questions.id, ids)).orderBy(asc(questions.id)).for('update')
        if (doomed.length === 0) return []
        await tx.delete(questions).where(inArray(questions.id, doomed.map((q) => q.id)))
        for (const q of doomed) {
          await recordAction(tx, actor, {
            objectType: 'question', objectId: q.id, questionId: q.id, objectRepr: q.questionText, action: 'delete',
            changeMessage: `Deleted, with ${plural(q.choiceCount, 'choice')} and ${plural(q.voteCount, 'vote')}.`
          })
        }
        return doomed
      })
      if (deleted.length > 0) dataVersion.changed()
      return deleted
    }
  }
}
