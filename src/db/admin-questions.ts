import { and, asc, count, desc, eq, gte, inArray, lt, sql, type SQL } from 'drizzle-orm'
import type { Db } from './client.ts'
import { contains } from './contains.ts'
import { recordAction, type Actor } from './admin-log.ts'
import { choices, questions, type Question } from './schema.ts'

export const DATE_FILTERS = ['any', 'today', '7d', 'month', 'year'] as const
export type DateFilter = typeof DATE_FILTERS[number]
export const SORT_KEYS = ['text', 'pub_date', 'choices', 'votes'] as const
export type SortKey = typeof SORT_KEYS[number]
export const PER_PAGE = 50

export interface QuestionListQuery { search: string, date: DateFilter, sort: SortKey, descending: boolean, page: number }
export interface QuestionPage { rows: Question[], total: number, page: number, pages: number }

const SORT_COLUMNS = { text: questions.questionText, pub_date: questions.pubDate, choices: questions.choiceCount, votes: questions.voteCount }

/** Django's date hierarchy filter: from the start of the period up to the end of today (UTC). */
export function dateFilterRange (filter: DateFilter, now = new Date()): { from: Date, until: Date } | undefined {
  if (filter === 'any') return undefined
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate())
  const until = new Date(today + 24 * 60 * 60 * 1000)
  if (filter === 'today') return { from: new Date(today), until }
  if (filter === '7d') return { from: new Date(today - 7 * 24 * 60 * 60 * 1000), until }
  if (filter === 'month') return { from: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)), until }
  return { from: new Date(Date.UTC(now.getUTCFullYear(), 0, 1)), until }
}

const SORT_INDEXES: Record<SortKey, string> = {
  text: 'questions_text_idx', pub_date: 'questions_pub_date_idx', choices: 'questions_choice_count_idx', votes: 'questions_vote_count_idx'
}
// Above this many matches a page is found sooner by walking the sort column's index and testing each
// row than by fetching and sorting every match (measured on 100k questions: bench/checks.ts).
const DENSE_MATCHES = 2500

const ftsPhrase = (search: string) => `"${search.replaceAll('"', '""')}"`
const usesIndex = (search: string) => [...search].length >= 3

/**
 * Three or more characters go through the trigram index (drizzle/0004) as one quoted phrase, which
 * matches the text as a substring, case-insensitively, with no operators; shorter searches scan.
 */
function matchesText (search: string): SQL {
  if (usesIndex(search)) return sql`${questions.id} in (select rowid from questions_fts where questions_fts match ${ftsPhrase(search)})`
  return contains(questions.questionText, search)
}

export interface QuestionInput { questionText: string, pubDate: Date }
export type UpdateResult = { ok: true, question: Question, changed: string[] } | { ok: false, reason: 'not-found' } | { ok: false, reason: 'conflict', current: Question }
export interface DeletionSummary { id: number, questionText: string, choiceCount: number, voteCount: number }

export function createAdminQuestionQueries (db: Db) {
  const byIdStmt = db.select().from(questions).where(eq(questions.id, sql.placeholder('id'))).prepare()

  return {
    questionById (id: number): Question | undefined { return byIdStmt.get({ id }) },

    listQuestions (query: QuestionListQuery, now = new Date()): QuestionPage {
      const conditions: SQL[] = []
      const search = query.search.trim()
      if (search !== '') conditions.push(matchesText(search))
      const range = dateFilterRange(query.date, now)
      if (range !== undefined) conditions.push(gte(questions.pubDate, range.from), lt(questions.pubDate, range.until))
      const where = conditions.length === 0 ? undefined : and(...conditions)
      // A search alone is counted inside the search index, without visiting the matching rows.
      const total = search !== '' && usesIndex(search) && range === undefined
        ? (db.get<{ n: number }>(sql`select count(*) as n from questions_fts where questions_fts match ${ftsPhrase(search)}`)?.n ?? 0)
        : (db.select({ n: count() }).from(questions).where(where).get()?.n ?? 0)
      const pages = Math.max(1, Math.ceil(total / PER_PAGE))
      const page = Math.min(Math.max(1, query.page), pages)
      const order = query.descending ? desc : asc
      const offset = (page - 1) * PER_PAGE
      // LIKE folds ASCII case only; other searches stay on the index path, which folds all case.
      if (search !== '' && total > DENSE_MATCHES && /^[\x20-\x7e]+$/.test(search)) {
        const direction = sql.raw(query.descending ? 'desc' : 'asc')
        const walk = [contains(questions.questionText, search), ...conditions.slice(1)]
        const ids = db.all<{ id: number }>(sql`select id from questions indexed by ${sql.raw(SORT_INDEXES[query.sort])}
          where ${and(...walk)} order by ${SORT_COLUMNS[query.sort]} ${direction}, id ${direction} limit ${PER_PAGE} offset ${offset}`).map((r) => r.id)
        const byId = new Map(db.select().from(questions).where(inArray(questions.id, ids.length === 0 ? [0] : ids)).all().map((q) => [q.id, q]))
        return { rows: ids.map((id) => byId.get(id)).filter((q): q is Question => q !== undefined), total, page, pages }
      }
      const rows = db.select().from(questions).where(where)
        .orderBy(order(SORT_COLUMNS[query.sort]), order(questions.id))
        .limit(PER_PAGE).offset(offset).all()
      return { rows, total, page, pages }
    },

    /** Question and choices in one transaction with its log entry; empty choice texts are skipped. */
    createQuestion (actor: Actor, input: QuestionInput & { choices: string[] }): Question {
      return db.transaction((tx) => {
        const question = tx.insert(questions).values({ questionText: input.questionText, pubDate: input.pubDate }).returning().get()
        const texts = input.choices.map((c) => c.trim()).filter((c) => c !== '')
        if (texts.length > 0) tx.insert(choices).values(texts.map((choiceText) => ({ questionId: question.id, choiceText }))).run()
        recordAction(tx, actor, {
          objectType: 'question', objectId: question.id, questionId: question.id, objectRepr: question.questionText, action: 'add',
          changeMessage: texts.length === 0 ? 'Added.' : `Added, with choices ${texts.map((c) => `“${c}”`).join(', ')}.`
        })
        return { ...question, choiceCount: texts.length }
      }, { behavior: 'immediate' })
    },

    /** Refuses (conflict) when the question changed since `expectedVersion` was read. */
    updateQuestion (actor: Actor, id: number, expectedVersion: number, input: QuestionInput): UpdateResult {
      return db.transaction((tx): UpdateResult => {
        const current = tx.select().from(questions).where(eq(questions.id, id)).get()
        if (current === undefined) return { ok: false, reason: 'not-found' }
        if (current.version !== expectedVersion) return { ok: false, reason: 'conflict', current }
        const changed: string[] = []
        if (current.questionText !== input.questionText) changed.push('question text')
        if (current.pubDate.getTime() !== input.pubDate.getTime()) changed.push('date published')
        if (changed.length === 0) return { ok: true, question: current, changed }
        const question = tx.update(questions)
          .set({ questionText: input.questionText, pubDate: input.pubDate, version: current.version + 1 })
          .where(and(eq(questions.id, id), eq(questions.version, expectedVersion)))
          .returning().get()
        if (question === undefined) return { ok: false, reason: 'conflict', current }
        recordAction(tx, actor, {
          objectType: 'question', objectId: id, questionId: id, objectRepr: question.questionText, action: 'change',
          changeMessage: `Changed ${changed.join(' and ')}.`
        })
        return { ok: true, question, changed }
      }, { behavior: 'immediate' })
    },

    deletionSummary (ids: number[]): DeletionSummary[] {
      if (ids.length === 0) return []
      return db.select({ id: questions.id, questionText: questions.questionText, choiceCount: questions.choiceCount, voteCount: questions.voteCount })
        .from(questions).where(inArray(questions.id, ids)).orderBy(asc(questions.id)).all()
    },

    /** Deletes the questions (choices and votes cascade) and logs each; returns what was deleted. */
    deleteQuestions (actor: Actor, ids: number[]): DeletionSummary[] {
      return db.transaction((tx) => {
        const doomed = ids.length === 0
          ? []
          : tx.select({ id: questions.id, questionText: questions.questionText, choiceCount: questions.choiceCount, voteCount: questions.voteCount })
            .from(questions).where(inArray(questions.id, ids)).all()
        if (doomed.length === 0) return []
        tx.delete(questions).where(inArray(questions.id, doomed.map((q) => q.id))).run()
        for (const q of doomed) {
          recordAction(tx, actor, {
            objectType: 'question', objectId: q.id, questionId: q.id, objectRepr: q.questionText, action: 'delete',
            changeMessage: `Deleted, with ${q.choiceCount} choice${q.choiceCount === 1 ? '' : 's'} and ${q.voteCount} vote${q.voteCount === 1 ? '' : 's'}.`
          })
        }
        return doomed
      }, { behavior: 'immediate' })
    }
  }
}

export type AdminQuestionQueries = ReturnType<typeof createAdminQuestionQueries>
