import { and, asc, count, desc, eq, gte, inArray, lt, sql, type SQL } from 'drizzle-orm'
import type { AnyPgColumn } from 'drizzle-orm/pg-core'
import { likePattern } from '../contains.ts'
import { dayBounds } from '../question-search.ts'
import {
  PER_PAGE, changedFields, dateFilterRange, plural,
  type AdminStore, type DeletionSummary, type QuestionListQuery, type SortKey, type UpdateResult
} from '../store.ts'
import type { PgDb } from './client.ts'
import type { DataVersion } from './data-version.ts'
import { recordAction } from './admin-log.ts'
import { choices, questionDays, questions } from './schema.ts'

const SORT_COLUMNS: Record<SortKey, AnyPgColumn> = {
  text: questions.questionText, pub_date: questions.pubDate, choices: questions.choiceCount, votes: questions.voteCount
}
const summaryColumns = { id: questions.id, questionText: questions.questionText, choiceCount: questions.choiceCount, voteCount: questions.voteCount }
const DAY_SECONDS = 24 * 60 * 60

/**
 * The text contains the search, case-insensitively: what ILIKE '%search%' means (lower(text) LIKE
 * lower(pattern)), on the stored lowered copy (drizzle-postgres/0008). pg_trgm's index answers it for
 * three characters or more, and each row it finds is tested.
 */
const ilike = (search: string): SQL => sql`"questions"."search_text" like lower(${likePattern(search)})`
const isShort = (search: string) => [...search].length <= 2

/**
 * A search of one or two characters from its own index (drizzle-postgres/0004): the text's characters
 * and pairs, which match exactly what ILIKE does, so no row is read again to test it. (The ILIKE stays
 * only for a search that lowering lengthens past two characters; for any other, the comparison of
 * constants is folded away when the statement is planned.)
 */
const shortMatch = (search: string): SQL =>
  sql`polls_short_grams(${questions.questionText}) @> polls_short_search(${search}) and (char_length(lower(${search})) <= 2 or ${ilike(search)})`

/** Questions published in the UTC days [from, until) (all of them without a range), summed from question_days. */
async function countByDays (db: PgDb, days: [number, number] | undefined): Promise<number> {
  const where = days === undefined ? undefined : and(gte(questionDays.day, days[0]), lt(questionDays.day, days[1]))
  return (await db.select({ n: sql<number>`coalesce(sum(${questionDays.questions}), 0)::int` }).from(questionDays).where(where))[0]?.n ?? 0
}

/**
 * A page by date without a search, however deep, from the day it starts on: question_days says how many
 * questions come before each day, so the sort index is entered at that day and skips only that day's
 * first rows, not every row of the pages before (an OFFSET walks each entry it skips). The page's ids,
 * as a subquery of the statement that reads their rows: the counts and the rows are read in one snapshot.
 */
function idsByDay (days: [number, number] | undefined, descending: boolean, offset: number): SQL {
  const dir = descending ? sql`desc` : sql`asc`
  const inDays = days === undefined ? sql`true` : sql`${questionDays.day} >= ${days[0]} and ${questionDays.day} < ${days[1]}`
  const inRange = days === undefined
    ? sql`true`
    : sql`${questions.pubDate} >= to_timestamp(${days[0] * DAY_SECONDS}) and ${questions.pubDate} < to_timestamp(${days[1] * DAY_SECONDS})`
  // Rows from the start of the page's day onwards, in the sort's direction (seconds in float8: in
  // integers, day * 86400 overflows in 2038).
  const fromDay = descending
    ? sql`${questions.pubDate} < to_timestamp(((select day from start) + 1)::float8 * ${DAY_SECONDS})`
    : sql`${questions.pubDate} >= to_timestamp((select day from start)::float8 * ${DAY_SECONDS})`
  return sql`(with start as (
      select day, before from (
        select ${questionDays.day}, ${questionDays.questions},
          coalesce(sum(${questionDays.questions}) over (order by ${questionDays.day} ${dir} rows between unbounded preceding and 1 preceding), 0) as before
        from ${questionDays} where ${inDays}
      ) d where before + questions > ${offset} order by day ${dir} limit 1
    )
    select ${questions.id} from ${questions} where ${inRange} and ${fromDay}
    order by ${questions.pubDate} ${dir}, ${questions.id} ${dir} limit ${PER_PAGE} offset (select ${offset}::int - before from start))`
}

/**
 * Every match, then sorted: the subquery's OFFSET 0 keeps the planner from merging it into the outer
 * query, where walking the sort index (and testing each row) could look cheaper than it is.
 */
function allMatchesSorted (where: SQL, sort: SortKey, descending: boolean, offset: number): SQL {
  const dir = descending ? sql`desc` : sql`asc`
  return sql`(select id from (select ${questions.id}, ${SORT_COLUMNS[sort]} as key from ${questions} where ${where} offset 0) matches
    order by key ${dir}, id ${dir} limit ${PER_PAGE} offset ${offset})`
}

/**
 * A search of three characters or more, counted and paged in one pass over its matches: pg_trgm's index
 * finds them but each must be read and tested with ILIKE, which is most of the work; a separate count and
 * page would do it twice (or walk the sort index testing rows, as many again). Sorting the matches' keys
 * costs little beside it.
 */
async function countedPage (db: PgDb, where: SQL, sort: SortKey, descending: boolean, offset: number): Promise<{ n: number, ids: number[] }> {
  const dir = descending ? sql`desc` : sql`asc`
  const { rows } = await db.execute<{ n: number, ids: number[] }>(sql`with matches as materialized (
      select ${questions.id}, ${SORT_COLUMNS[sort]} as key from ${questions} where ${where}
    )
    select (select count(*)::int from matches) as n,
      array(select id from matches order by key ${dir}, id ${dir} limit ${PER_PAGE} offset ${offset}) as ids`)
  return rows[0] ?? { n: 0, ids: [] }
}

/**
 * The admin table on PostgreSQL. A total without a search is summed from question_days, and its page is
 * the sort index walked in order (deep pages by date from their day). A search of three characters or
 * more is counted and paged in one pass over its matches (countedPage); a shorter one is counted from its
 * own index, and its page chosen as SQLite chooses. The date filter is written first: among conditions of
 * equal cost PostgreSQL tests them in the written order, and the date is the cheaper test. The builder is
 * used except where it cannot say the statement: idsByDay's window and scalar subqueries, the OFFSET 0 of
 * allMatchesSorted and countedPage's materialized matches.
 */
export function createPgAdminQuestions (db: PgDb, dataVersion: DataVersion): AdminStore['questions'] {
  return {
    async questionById (id) { return (await db.select().from(questions).where(eq(questions.id, id)))[0] },

    async listQuestions (query: QuestionListQuery, now = new Date()) {
      const search = query.search.trim()
      const range = dateFilterRange(query.date, now)
      const days = range === undefined ? undefined : dayBounds(range)
      const conditions: SQL[] = []
      if (range !== undefined) conditions.push(gte(questions.pubDate, range.from), lt(questions.pubDate, range.until))
      const where = (match: SQL | undefined) => conditions.length === 0 && match === undefined ? undefined : and(...conditions, match)
      const short = search !== '' && isShort(search)
      const dir = query.descending ? desc : asc
      const order = [dir(SORT_COLUMNS[query.sort]), dir(questions.id)]
      if (search !== '' && !short) {
        const match = and(...conditions, ilike(search)) as SQL
        const requested = (Math.max(1, query.page) - 1) * PER_PAGE
        let found = await countedPage(db, match, query.sort, query.descending, requested)
        const pages = Math.max(1, Math.ceil(found.n / PER_PAGE))
        const page = Math.min(Math.max(1, query.page), pages)
        // A page past the last one shows the last one.
        if ((page - 1) * PER_PAGE !== requested) found = await countedPage(db, match, query.sort, query.descending, (page - 1) * PER_PAGE)
        const rows = found.ids.length === 0 ? [] : await db.select().from(questions).where(inArray(questions.id, found.ids)).orderBy(...order)
        return { rows, total: found.n, page, pages }
      }
      // A short search's page is chosen from how many questions there are: asked in the same statement.
      const counted = search === ''
        ? { n: await countByDays(db, days), all: 0 }
        : (await db.select({ n: count(), all: sql<number>`(select coalesce(sum(${questionDays.questions}), 0)::int from ${questionDays})` })
            .from(questions).where(where(shortMatch(search))))[0] ?? { n: 0, all: 0 }
      const total = counted.n
      const pages = Math.max(1, Math.ceil(total / PER_PAGE))
      const page = Math.min(Math.max(1, query.page), pages)
      const offset = (page - 1) * PER_PAGE
      // A short search's page, as SQLite chooses it: the sort index walked, testing each row with ILIKE,
      // while matches are dense enough that the page is soon reached (about as many rows read as there
      // are matches); beyond, every match from the short index, sorted. The index's expression costs a
      // query per row, so it must never be a walk's filter: one plan or the other is asked for.
      const ilikeMatch = search === '' ? undefined : ilike(search)
      const pageMatch = short && (offset + PER_PAGE) * counted.all / total > total ? shortMatch(search) : ilikeMatch
      // The page's ids first, from the sort index alone (a deep page skips entries, not rows), then their
      // rows, in one statement.
      const ids = search === '' && query.sort === 'pub_date' && offset > 0
        ? idsByDay(days, query.descending, offset)
        : pageMatch !== undefined && pageMatch !== ilikeMatch
          ? allMatchesSorted(and(...conditions, pageMatch) as SQL, query.sort, query.descending, offset)
          : db.select({ id: questions.id }).from(questions).where(where(pageMatch)).orderBy(...order).limit(PER_PAGE).offset(offset)
      const rows = total === 0 ? [] : await db.select().from(questions).where(inArray(questions.id, ids)).orderBy(...order)
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
