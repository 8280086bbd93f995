// The admin table's list (search, date filter, sort, page) against filtering and sorting every row in JS,
// over the paths it chooses between: a sort index walked with LIKE, every match from the search index,
// the short (1–2 character) index, and the date filter as a range of the search index's keys.
import t from 'tap'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { inArray } from 'drizzle-orm'
import { openDatabase, type Db } from '../../src/db/client.ts'
import { questions } from '../../src/db/schema.ts'
import { DATE_FILTERS, PER_PAGE, SORT_KEYS, createAdminQuestionQueries, dateFilterRange, type QuestionListQuery } from '../../src/db/admin-questions.ts'

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

function seed (db: Db, count: number): Row[] {
  const insert = db.$client.prepare('insert into questions (question_text, pub_date, vote_count, choice_count) values (?, ?, ?, ?)')
  const rows: Row[] = []
  db.$client.transaction(() => {
    for (let i = 0; i < count; i++) {
      const words = [WORDS[i % WORDS.length], i % 3 === 0 ? WORDS[(i * 7) % WORDS.length] : 'plain']
      const text = i % 97 === 0 ? 'E' : i % 89 === 0 ? 'éd' : `${words.join(' ')} ${i}`
      const pubDate = i % 5 === 0 ? (DATES[i % DATES.length] as number) : today - ((i * 7919) % (3 * 365)) * DAY + (i % 1440) * 60_000 + 30 * DAY * (i % 11 === 0 ? 1 : 0)
      const votes = i % 4 // many ties: the id decides
      const choices = (i * 13) % 5
      const id = Number(insert.run(text, pubDate, votes, choices).lastInsertRowid)
      rows.push({ id, text, pubDate, votes, choices })
    }
  })()
  return rows
}

const SEARCHES = ['', 'e', 'E', 'é', 'É', 'ed', 'ED', 'Ed', 'éT', 'ÉT', 'té', 'éd', 'ÉD', 'Üb', 'üB', 'ж', 'Ж', '#', '%', '_', '"', ' y', 'editor', 'EDITOR', 'été', 'ÉTÉ', 'ÜBER', '#42', '100%', 'a_b', '"quoted"', 'x y', 'plain', 'zzz', '🙂', '🙂O', '🙂ok']

t.test('every search, date filter, sort and page shows the rows and count that filtering every row would', async (t) => {
  const db = freshDb(t)
  const rows = seed(db, 1500)
  const list = createAdminQuestionQueries(db).listQuestions
  let checked = 0
  const failures: string[] = []
  for (const search of SEARCHES) {
    for (const date of DATE_FILTERS) {
      for (const sort of SORT_KEYS) {
        for (const descending of [false, true]) {
          for (const page of [1, 2, 4, 31]) {
            const query = { search, date, sort, descending, page }
            const want = expected(rows, query, NOW)
            const got = list(query, NOW)
            checked++
            if (got.total !== want.total || got.page !== want.page || got.rows.map((r) => r.id).join() !== want.ids.join()) {
              failures.push(`${JSON.stringify(query)}: ${got.total} on page ${got.page} [${got.rows.slice(0, 4).map((r) => r.id).join()}…], expected ${want.total} on page ${want.page} [${want.ids.slice(0, 4).join()}…]`)
            }
          }
        }
      }
    }
  }
  t.same(failures.slice(0, 10), [], `${checked} queries agree`)
  t.ok(expected(rows, { search: 'ed', date: 'any', sort: 'pub_date', descending: true, page: 1 }, NOW).total > 200, 'a broad two-character search is among them')
  t.ok(expected(rows, { search: 'éT', date: 'year', sort: 'votes', descending: true, page: 1 }, NOW).total > 20, 'and a non-ASCII one with a date filter')
})

t.test('the search indexes follow each insert, edit (text or date) and delete', async (t) => {
  const db = freshDb(t)
  const { listQuestions } = createAdminQuestionQueries(db)
  const found = (search: string, date: QuestionListQuery['date'] = 'any') => listQuestions({ search, date, sort: 'pub_date', descending: true, page: 1 }, NOW).rows.map((r) => r.questionText)
  const sqlite = db.$client
  const id = Number(sqlite.prepare('insert into questions (question_text, pub_date) values (?, ?)').run('Tabs or spaces?', today - 30 * DAY).lastInsertRowid)
  t.same(found('spaces'), ['Tabs or spaces?'])
  t.same(found('OR'), ['Tabs or spaces?'], 'two characters')
  t.same(found('?'), ['Tabs or spaces?'], 'one character')
  t.same(found('spaces', '7d'), [], 'not published in the past 7 days')

  sqlite.prepare('update questions set pub_date = ? where id = ?').run(today - DAY, id)
  t.same(found('spaces', '7d'), ['Tabs or spaces?'], 'a new date moves it to its day')
  t.same(found('sp', 'year'), ['Tabs or spaces?'])
  sqlite.prepare('update questions set question_text = ? where id = ?').run('Vim or Emacs?', id)
  t.same(found('spaces'), [], 'the old text is gone')
  t.same(found('sp'), [])
  t.same(found('emacs', '7d'), ['Vim or Emacs?'], 'the new text is found')
  t.same(found('Em'), ['Vim or Emacs?'])
  sqlite.prepare('update questions set vote_count = 5 where id = ?').run(id)
  t.same(found('emacs'), ['Vim or Emacs?'], 'other columns leave the index alone')
  sqlite.prepare('delete from questions where id = ?').run(id)
  t.same(found('emacs'), [])
  t.same(found('m'), [])
  for (const table of ['questions_search', 'questions_search_short']) {
    t.doesNotThrow(() => sqlite.prepare(`insert into ${table}(${table}, rank) values ('integrity-check', 0)`).run(), `${table} is consistent`)
  }
  t.throws(() => sqlite.prepare('insert into questions (id, question_text, pub_date) values (?, ?, ?)').run(2 ** 32, 'Too far?', 0), /2\^32/, 'an id the keys cannot hold is refused')
})

t.test('dates before 1970 and on midnights fall on their own day', async (t) => {
  const db = freshDb(t)
  const { listQuestions } = createAdminQuestionQueries(db)
  const insert = db.$client.prepare('insert into questions (question_text, pub_date) values (?, ?)')
  insert.run('Last moment of 1969?', -1)
  insert.run('First moment of 1970?', 0)
  insert.run('Day before, last moment?', -DAY - 1)
  const today1970 = (search: string) => listQuestions({ search, date: 'today', sort: 'pub_date', descending: true, page: 1 }, new Date(12 * 60 * 60 * 1000)).rows.map((r) => r.questionText)
  t.same(today1970('moment'), ['First moment of 1970?'], '"today" on 1 January 1970')
  t.same(today1970('mo'), ['First moment of 1970?'])
  const yesterday = (search: string) => listQuestions({ search, date: 'today', sort: 'pub_date', descending: true, page: 1 }, new Date(-12 * 60 * 60 * 1000)).rows.map((r) => r.questionText)
  t.same(yesterday('moment'), ['Last moment of 1969?'], '"today" on 31 December 1969')
  t.same(yesterday('mo'), ['Last moment of 1969?'])
})

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
