// The admin table's list (search, date filter, sort, page) against filtering and sorting every row in JS,
// on both databases, over the paths each chooses between. SQLite: a sort index walked with LIKE, every
// match from the search index, the short (1–2 character) index, and the date filter as a range of the
// search index's keys. PostgreSQL: pg_trgm or the short index, totals from question_days, deep pages by
// date from their day.
import t from 'tap'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { inArray } from 'drizzle-orm'
import { openDatabase, type Db } from '../../src/db/client.ts'
import { questions } from '../../src/db/schema.ts'
import { DATE_FILTERS, PER_PAGE, SORT_KEYS, createAdminQuestionQueries, dateFilterRange, type QuestionListQuery, type QuestionPage } from '../../src/db/admin-questions.ts'
import { openPostgresStore } from '../../src/db/postgres/store.ts'
import { DATABASES, type DatabaseKind } from '../helpers/app.ts'
import { freshPostgresUrl } from '../helpers/postgres.ts'

const DAY = 24 * 60 * 60 * 1000
const NOW = new Date('2026-06-15T10:30:00Z')
const today = Date.UTC(2026, 5, 15)

function freshDb (t: { teardown: (fn: () => unknown) => void }): Db {
  const dir = mkdtempSync(join(tmpdir(), 'polls-admin-questions-'))
  const db = openDatabase(join(dir, 'polls.db'))
  t.teardown(() => { db.$client.close(); rmSync(dir, { recursive: true, force: true }) })
  return db
}

interface Row { id: number, text: string, pubDate: number, votes: number, choices: number }

/** What the list must show: every row filtered and sorted in JS. */
function expected (rows: Row[], query: QuestionListQuery, now: Date) {
  const needle = query.search.trim().toLowerCase()
  const range = dateFilterRange(query.date, now)
  const matches = rows.filter((r) => r.text.toLowerCase().includes(needle) &&
    (range === undefined || (r.pubDate >= range.from.getTime() && r.pubDate < range.until.getTime())))
  const key = (r: Row) => query.sort === 'text' ? r.text : query.sort === 'pub_date' ? r.pubDate : query.sort === 'votes' ? r.votes : r.choices
  matches.sort((a, b) => {
    const cmp = key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : a.id - b.id
    return query.descending ? -cmp : cmp
  })
  const pages = Math.max(1, Math.ceil(matches.length / PER_PAGE))
  const page = Math.min(query.page, pages)
  return { total: matches.length, page, ids: matches.slice((page - 1) * PER_PAGE, page * PER_PAGE).map((r) => r.id) }
}

// Texts mixing ASCII and other scripts in several cases, characters LIKE and FTS5 treat specially, and
// texts of one and two characters; dates around midnights, before 1970 and in the future.
const WORDS = ['editor', 'Editor', 'EDITOR', 'été', 'Été', 'ÉTÉ', 'über', 'Über', 'Жук', 'жук', 'Ørsted', '#4242', '100%', 'a_b', '"quoted"', 'ed', 'x y', '🙂ok']
const DATES = [today, today - 1, today + DAY - 1, today + DAY, today - 7 * DAY, today - 8 * DAY, Date.UTC(2026, 0, 1), Date.UTC(2026, 0, 1) - 1, Date.UTC(2026, 5, 1), -1, 0, -DAY - 1, Date.UTC(1901, 2, 3)]

function rowsToSeed (count: number): Row[] {
  const rows: Row[] = []
  for (let i = 0; i < count; i++) {
    const words = [WORDS[i % WORDS.length], i % 3 === 0 ? WORDS[(i * 7) % WORDS.length] : 'plain']
    const text = i % 97 === 0 ? 'E' : i % 89 === 0 ? 'éd' : `${words.join(' ')} ${i}`
    const pubDate = i % 5 === 0 ? (DATES[i % DATES.length] as number) : today - ((i * 7919) % (3 * 365)) * DAY + (i % 1440) * 60_000 + 30 * DAY * (i % 11 === 0 ? 1 : 0)
    const votes = i % 4 // many ties: the id decides
    const choices = (i * 13) % 5
    rows.push({ id: i + 1, text, pubDate, votes, choices })
  }
  return rows
}

function seed (db: Db, count: number): Row[] {
  const insert = db.$client.prepare('insert into questions (id, question_text, pub_date, vote_count, choice_count) values (?, ?, ?, ?, ?)')
  const rows = rowsToSeed(count)
  db.$client.transaction(() => { for (const r of rows) insert.run(r.id, r.text, r.pubDate, r.votes, r.choices) })()
  return rows
}

/** The list and plain row edits on either database (the edits through SQL, so that the indexes' triggers are what is tested). */
interface Subject {
  list: (query: QuestionListQuery, now: Date) => Promise<QuestionPage>
  insert: (rows: Row[]) => Promise<void>
  edit: (id: number, change: { text?: string, pubDate?: number, votes?: number }) => Promise<void>
  remove: (id: number) => Promise<void>
}

async function subject (t: { teardown: (fn: () => unknown) => void }, kind: DatabaseKind): Promise<Subject> {
  if (kind === 'sqlite') {
    const db = freshDb(t)
    const sqlite = db.$client
    const { listQuestions } = createAdminQuestionQueries(db)
    const insert = sqlite.prepare('insert into questions (id, question_text, pub_date, vote_count, choice_count) values (?, ?, ?, ?, ?)')
    return {
      list: async (query, now) => listQuestions(query, now),
      insert: async (rows) => { sqlite.transaction(() => { for (const r of rows) insert.run(r.id, r.text, r.pubDate, r.votes, r.choices) })() },
      edit: async (id, change) => {
        if (change.text !== undefined) sqlite.prepare('update questions set question_text = ? where id = ?').run(change.text, id)
        if (change.pubDate !== undefined) sqlite.prepare('update questions set pub_date = ? where id = ?').run(change.pubDate, id)
        if (change.votes !== undefined) sqlite.prepare('update questions set vote_count = ? where id = ?').run(change.votes, id)
      },
      remove: async (id) => { sqlite.prepare('delete from questions where id = ?').run(id) }
    }
  }
  // Each search's 32 queries are asked at once: they wait for a connection as long as they need.
  const store = await openPostgresStore(await freshPostgresUrl(), { poolSize: 4, poolTimeoutMs: 120_000 })
  t.teardown(() => store.close())
  const { pool } = store
  return {
    list: async (query, now) => await store.admin.questions.listQuestions(query, now),
    insert: async (rows) => {
      await pool.query(`insert into questions (id, question_text, pub_date, vote_count, choice_count)
        select id, text, to_timestamp(ms / 1000), votes, choices from unnest($1::int[], $2::text[], $3::float8[], $4::int[], $5::int[]) r(id, text, ms, votes, choices)`,
      [rows.map((r) => r.id), rows.map((r) => r.text), rows.map((r) => r.pubDate), rows.map((r) => r.votes), rows.map((r) => r.choices)])
    },
    edit: async (id, change) => {
      if (change.text !== undefined) await pool.query('update questions set question_text = $1 where id = $2', [change.text, id])
      if (change.pubDate !== undefined) await pool.query('update questions set pub_date = to_timestamp($1::float8 / 1000) where id = $2', [change.pubDate, id])
      if (change.votes !== undefined) await pool.query('update questions set vote_count = $1 where id = $2', [change.votes, id])
    },
    remove: async (id) => { await pool.query('delete from questions where id = $1', [id]) }
  }
}

const SEARCHES = ['', 'e', 'E', 'é', 'É', 'ed', 'ED', 'Ed', 'éT', 'ÉT', 'té', 'éd', 'ÉD', 'Üb', 'üB', 'ж', 'Ж', '#', '%', '_', '"', ' y', 'editor', 'EDITOR', 'été', 'ÉTÉ', 'ÜBER', '#42', '100%', 'a_b', '"quoted"', 'x y', 'plain', 'zzz', '🙂', '🙂O', '🙂ok']

for (const kind of DATABASES) {
  t.test(`${kind}: every search, date filter, sort and page shows the rows and count that filtering every row would`, async (t) => {
    const { list, insert } = await subject(t, kind)
    const rows = rowsToSeed(1500)
    await insert(rows)
    let checked = 0
    const failures: string[] = []
    for (const search of SEARCHES) {
      for (const date of DATE_FILTERS) {
        // A search and filter's sorts and pages at once: PostgreSQL answers them on several connections.
        const queries = SORT_KEYS.flatMap((sort) => [false, true].flatMap((descending) => [1, 2, 4, 31].map((page) => ({ search, date, sort, descending, page }))))
        const pages = await Promise.all(queries.map((query) => list(query, NOW)))
        queries.forEach((query, i) => {
          const want = expected(rows, query, NOW)
          const got = pages[i] as QuestionPage
          checked++
          if (got.total !== want.total || got.page !== want.page || got.pages !== Math.max(1, Math.ceil(want.total / PER_PAGE)) ||
            got.rows.map((r) => r.id).join() !== want.ids.join()) {
            failures.push(`${JSON.stringify(query)}: ${got.total} on page ${got.page} [${got.rows.slice(0, 4).map((r) => r.id).join()}…], expected ${want.total} on page ${want.page} [${want.ids.slice(0, 4).join()}…]`)
          }
        })
      }
    }
    // Both databases are held to the same expectation, so a short search's total and pages are SQLite's on PostgreSQL too.
    t.same(failures.slice(0, 10), [], `${checked} queries agree`)
    t.ok(expected(rows, { search: 'ed', date: 'any', sort: 'pub_date', descending: true, page: 1 }, NOW).total > 200, 'a broad two-character search is among them')
    t.ok(expected(rows, { search: 'éT', date: 'year', sort: 'votes', descending: true, page: 1 }, NOW).total > 20, 'and a non-ASCII one with a date filter')
  })

  t.test(`${kind}: the search indexes and the totals follow each insert, edit (text or date) and delete`, async (t) => {
    const { list, insert, edit, remove } = await subject(t, kind)
    const found = async (search: string, date: QuestionListQuery['date'] = 'any') => (await list({ search, date, sort: 'pub_date', descending: true, page: 1 }, NOW)).rows.map((r) => r.questionText)
    const total = async (date: QuestionListQuery['date'] = 'any') => (await list({ search: '', date, sort: 'pub_date', descending: true, page: 1 }, NOW)).total
    const id = 1
    await insert([{ id, text: 'Tabs or spaces?', pubDate: today - 30 * DAY, votes: 0, choices: 0 }, { id: 2, text: 'Other?', pubDate: today - 30 * DAY, votes: 0, choices: 0 }])
    t.same(await found('spaces'), ['Tabs or spaces?'])
    t.same(await found('OR'), ['Tabs or spaces?'], 'two characters')
    t.same(await found('?'), ['Other?', 'Tabs or spaces?'], 'one character (the same day: the later id first)')
    t.same(await found('spaces', '7d'), [], 'not published in the past 7 days')
    t.same([await total(), await total('7d')], [2, 0])

    await edit(id, { pubDate: today - DAY })
    t.same(await found('spaces', '7d'), ['Tabs or spaces?'], 'a new date moves it to its day')
    t.same(await found('sp', 'year'), ['Tabs or spaces?'])
    t.same([await total(), await total('7d')], [2, 1], 'and its count')
    await edit(id, { text: 'Vim or Emacs?' })
    t.same(await found('spaces'), [], 'the old text is gone')
    t.same(await found('sp'), [])
    t.same(await found('emacs', '7d'), ['Vim or Emacs?'], 'the new text is found')
    t.same(await found('Em'), ['Vim or Emacs?'])
    await edit(id, { votes: 5 })
    t.same(await found('emacs'), ['Vim or Emacs?'], 'other columns leave the index alone')
    await remove(id)
    t.same(await found('emacs'), [])
    t.same(await found('m'), [])
    t.same([await total(), await total('7d')], [1, 0], 'nor is it counted')
  })
}

t.test('sqlite: the search tables stay consistent, and ids the keys cannot hold are refused', async (t) => {
  const db = freshDb(t)
  const sqlite = db.$client
  const id = Number(sqlite.prepare('insert into questions (question_text, pub_date) values (?, ?)').run('Tabs or spaces?', today - 30 * DAY).lastInsertRowid)
  sqlite.prepare('update questions set pub_date = ?, question_text = ? where id = ?').run(today - DAY, 'Vim or Emacs?', id)
  sqlite.prepare('insert into questions (question_text, pub_date) values (?, ?)').run('Kept?', today)
  sqlite.prepare('delete from questions where id = ?').run(id)
  for (const table of ['questions_search', 'questions_search_short']) {
    t.doesNotThrow(() => sqlite.prepare(`insert into ${table}(${table}, rank) values ('integrity-check', 0)`).run(), `${table} is consistent`)
  }
  t.throws(() => sqlite.prepare('insert into questions (id, question_text, pub_date) values (?, ?, ?)').run(2 ** 32, 'Too far?', 0), /2\^32/, 'an id the keys cannot hold is refused')
})

for (const kind of DATABASES) {
  t.test(`${kind}: dates before 1970 and on midnights fall on their own day`, async (t) => {
    const { list, insert } = await subject(t, kind)
    await insert([
      { id: 1, text: 'Last moment of 1969?', pubDate: -1, votes: 0, choices: 0 },
      { id: 2, text: 'First moment of 1970?', pubDate: 0, votes: 0, choices: 0 },
      { id: 3, text: 'Day before, last moment?', pubDate: -DAY - 1, votes: 0, choices: 0 }
    ])
    const on = async (search: string, now: number) => (await list({ search, date: 'today', sort: 'pub_date', descending: true, page: 1 }, new Date(now))).rows.map((r) => r.questionText)
    const countOn = async (now: number) => (await list({ search: '', date: 'today', sort: 'pub_date', descending: true, page: 1 }, new Date(now))).total
    t.same(await on('moment', DAY / 2), ['First moment of 1970?'], '"today" on 1 January 1970')
    t.same(await on('mo', DAY / 2), ['First moment of 1970?'])
    t.same(await on('', DAY / 2), ['First moment of 1970?'])
    t.same(await on('moment', -DAY / 2), ['Last moment of 1969?'], '"today" on 31 December 1969')
    t.same(await on('mo', -DAY / 2), ['Last moment of 1969?'])
    t.same([await countOn(DAY / 2), await countOn(-DAY / 2), await countOn(-DAY * 1.5)], [1, 1, 1], 'and each day counts its own')
  })
}

// The page is read with hand-written SQL; this holds it to what drizzle's schema says a row is, so a
// column added to the schema cannot silently go missing from the table's rows.
t.test('a page\'s rows are the questions exactly as drizzle maps them', async (t) => {
  const db = freshDb(t)
  seed(db, 120)
  db.$client.prepare('update questions set version = 3, results_version = 7 where id % 2 = 0').run()
  const { listQuestions } = createAdminQuestionQueries(db)
  for (const search of ['', 'ed', 'editor', 'été']) {
    const { rows } = listQuestions({ search, date: 'any', sort: 'votes', descending: true, page: 1 }, NOW)
    t.ok(rows.length > 0, `"${search}" has rows`)
    const expected = db.select().from(questions).where(inArray(questions.id, rows.map((r) => r.id))).all()
    t.same(rows, rows.map((r) => expected.find((e) => e.id === r.id)), 'every column, pub_date as a Date')
    t.ok(rows.every((r) => r.pubDate instanceof Date))
  }
})
