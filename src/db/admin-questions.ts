import type { Statement } from 'better-sqlite3'
import { and, asc, eq, inArray, sql } from 'drizzle-orm'
import type { Db } from './client.ts'
import { likePattern } from './contains.ts'
import { KEY_ID, KEY_IN_DAYS, dayBounds, searchIndex, type SearchIndex } from './question-search.ts'
import { recordAction, type Actor } from './admin-log.ts'
import { choices, questions, type Question } from './schema.ts'
import {
  DATE_FILTERS, PER_PAGE, SORT_KEYS, changedFields, dateFilterRange, plural,
  type DateFilter, type DateRange, type DeletionSummary, type QuestionInput, type QuestionListQuery, type QuestionPage, type SortKey, type UpdateResult
} from './store.ts'

export { DATE_FILTERS, PER_PAGE, SORT_KEYS, dateFilterRange }
export type { DateFilter, DateRange, QuestionListQuery, QuestionPage, SortKey }

// Each sort order's index (src/db/schema.ts): sort column, id, and the columns a search or date filter tests.
const SORT_INDEXES: Record<SortKey, string> = {
  text: 'questions_text_idx', pub_date: 'questions_pub_date_text_idx', choices: 'questions_choice_count_idx', votes: 'questions_vote_count_idx'
}
const SORT_SQL: Record<SortKey, string> = { text: 'question_text', pub_date: 'pub_date', choices: 'choice_count', votes: 'vote_count' }
// Walking a sort index tests each entry it passes (no row read); fetching every match instead reads
// one row per match and sorts them: about six times as much work per row (bench/admin-queries.ts).
const WALK_STEPS_PER_MATCH = 6
// LIKE folds the case of ASCII letters only, the search index folds all; LIKE may stand in for it only
// when the search is ASCII.
const likeAgreesWithIndex = (search: string) => /^[\x20-\x7e]+$/.test(search)

/** The ids of the questions a search matches (within the date range), from its index alone. */
const matchesSql = (index: SearchIndex, range: DateRange | undefined) =>
  `select ${KEY_ID} from ${index.table} where ${index.table} match ?${range === undefined ? '' : ` and ${KEY_IN_DAYS}`}`
const matchParams = (index: SearchIndex, range: DateRange | undefined) => [index.phrase, ...(range === undefined ? [] : dayBounds(range))]

export type { DeletionSummary, QuestionInput, UpdateResult }

// A page's rows as the schema's Question (test/db/admin-questions.test.ts holds this to drizzle's own
// mapping): plain better-sqlite3 rows, because drizzle's per-row mapping cost as much as fetching them.
const PAGE_COLUMNS = `q.id, q.question_text as questionText, q.pub_date as pubDate, q.version, q.choice_count as choiceCount,
  q.vote_count as voteCount, q.results_version as resultsVersion`
interface QuestionRow extends Omit<Question, 'pubDate'> { pubDate: number }

export function createAdminQuestionQueries (db: Db) {
  const byIdStmt = db.select().from(questions).where(eq(questions.id, sql.placeholder('id'))).prepare()
  // The list's statements differ only in which index, filter and order they use (a few dozen shapes, all
  // from the fixed names above; values are always bound), so each is prepared once, when first needed.
  const statements = new Map<string, Statement>()
  const statement = (source: string, pluck = true) => {
    let stmt = statements.get(source)
    if (stmt === undefined) statements.set(source, stmt = pluck ? db.$client.prepare(source).pluck() : db.$client.prepare(source))
    return stmt
  }

  /**
   * About how many entries a walk passes to reach the end of this page, if matches are spread evenly.
   * The largest id stands in for the number of questions: it is read from the end of the table, where
   * counting them walks a whole index (0.02–0.1 ms), and an estimate is all this needs.
   */
  const walkSteps = (total: number, offset: number) => (offset + PER_PAGE) * (statement('select max(id) from questions').get() as number) / total

  /**
   * One page, in order. Its ids come first, from an index alone: without a search, the sort column's
   * index; with one, either a walk of the sort column's index testing each entry (cheap while matches
   * are dense enough that the page is reached soon), or every match from the search index, sorted
   * (cheap while they are few). Then only those rows are read, so a deep page skips rows unread.
   */
  function pageRows (query: QuestionListQuery, search: string, index: SearchIndex | undefined, range: DateRange | undefined, total: number, offset: number): Question[] {
    const dir = query.descending ? 'desc' : 'asc'
    const order = (table: string) => `order by ${table}${SORT_SQL[query.sort]} ${dir}, ${table}id ${dir}`
    const inRange = range === undefined ? [] : ['pub_date >= ? and pub_date < ?']
    const rangeParams = range === undefined ? [] : [range.from.getTime(), range.until.getTime()]
    let ids: string
    let params: unknown[]
    if (index === undefined) {
      ids = `select id from questions ${inRange.map((c) => `where ${c}`).join('')}`
      params = rangeParams
    } else if (likeAgreesWithIndex(search) && walkSteps(total, offset) <= WALK_STEPS_PER_MATCH * total) {
      ids = `select id from questions indexed by ${SORT_INDEXES[query.sort]} where ${["question_text like ? escape '\\'", ...inRange].join(' and ')}`
      params = [likePattern(search), ...rangeParams]
    } else {
      ids = `select id from questions where id in (${matchesSql(index, range)})`
      params = matchParams(index, range)
    }
    const rows = statement(`select ${PAGE_COLUMNS} from (${ids} ${order('')} limit ${PER_PAGE} offset ?) page
      join questions q on q.id = page.id ${order('q.')}`, false).all(...params, offset) as QuestionRow[]
    return rows.map((row) => ({ ...row, pubDate: new Date(row.pubDate) }))
  }

  return {
    questionById (id: number): Question | undefined { return byIdStmt.get({ id }) },

    listQuestions (query: QuestionListQuery, now = new Date()): QuestionPage {
      const search = query.search.trim()
      const index = search === '' ? undefined : searchIndex(search)
      const range = dateFilterRange(query.date, now)
      // A search is counted inside its index (with the date filter as a range of its keys): no row of
      // `questions` is read to count matches.
      const total = index !== undefined
        ? statement(`select count(*) from (${matchesSql(index, range)})`).get(...matchParams(index, range)) as number
        : range !== undefined
          ? statement('select count(*) from questions where pub_date >= ? and pub_date < ?').get(range.from.getTime(), range.until.getTime()) as number
          : statement('select count(*) from questions').get() as number
      const pages = Math.max(1, Math.ceil(total / PER_PAGE))
      const page = Math.min(Math.max(1, query.page), pages)
      const rows = total === 0 ? [] : pageRows(query, search, index, range, total, (page - 1) * PER_PAGE)
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
        const changed = changedFields(current, input)
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
            changeMessage: `Deleted, with ${plural(q.choiceCount, 'choice')} and ${plural(q.voteCount, 'vote')}.`
          })
        }
        return doomed
      }, { behavior: 'immediate' })
    }
  }
}

export type AdminQuestionQueries = ReturnType<typeof createAdminQuestionQueries>
