import type { Db } from './client.ts'
import type { BulkSeedOptions, BulkSeedResult } from './store.ts'

export const BULK_SUBJECTS = ['editor', 'language', 'framework', 'database', 'team lunch', 'meeting time', 'coffee', 'holiday', 'laptop', 'keyboard', 'font', 'colour theme', 'browser', 'city', 'book', 'podcast']
export const BULK_FORMS = ['What is your favourite {s}?', 'Which {s} should we pick next?', 'How do you rate the new {s}?', 'Is the {s} good enough?', 'Would you change the {s}?']
const DAY = 24 * 60 * 60 * 1000

export type { BulkSeedOptions }

/**
 * Large synthetic data for benchmarks: questions spread over three years, three choices each, and votes
 * from synthetic users (one per user and question, as the app allows). One transaction, prepared
 * statements; the count triggers keep the per-question totals right as rows go in.
 */
export function seedBulk (db: Db, options: BulkSeedOptions): BulkSeedResult {
  const now = options.now ?? Date.now()
  const choicesPer = options.choicesPerQuestion ?? 3
  const perQuestion = options.questions === 0 ? 0 : Math.ceil(options.votes / options.questions)
  const userCount = Math.max(options.users ?? 1000, perQuestion)
  const sqlite = db.$client
  let rng = 42
  const random = () => { rng = (rng * 1103515245 + 12345) % 2147483648; return rng / 2147483648 }

  const insertUser = sqlite.prepare("insert into users (sub, username, email, role, date_joined) values (?, ?, ?, 'user', ?) on conflict (sub) do nothing")
  const userId = sqlite.prepare('select id from users where sub = ?').pluck()
  const insertQuestion = sqlite.prepare('insert into questions (question_text, pub_date) values (?, ?)')
  const insertChoice = sqlite.prepare('insert into choices (question_id, choice_text) values (?, ?)')
  const insertVote = sqlite.prepare('insert into votes (user_id, question_id, choice_id, voted_at) values (?, ?, ?, ?)')

  // Bulk loading only: a crash mid-seed just means seeding again, so skip the per-commit fsync and
  // give the page cache room; the app's own connections keep synchronous=FULL.
  sqlite.pragma('synchronous = OFF')
  sqlite.pragma('cache_size = -262144')
  let votes = 0
  sqlite.transaction(() => {
    // Row-by-row triggers dominate a bulk load: the counts (and the vote_count index they touch), and the
    // search index, which FTS5 writes out each time a key arrives below the last one (random dates do
    // that at every row). Set them aside, fill in the totals and the search index once at the end (in key
    // order, from the view that defines it: drizzle/0009), and put them back, all in this one transaction.
    const triggers = sqlite.prepare("select name, sql from sqlite_master where type = 'trigger' and tbl_name in ('questions', 'choices', 'votes')").all() as Array<{ name: string, sql: string }>
    for (const trigger of triggers) sqlite.exec(`drop trigger "${trigger.name}"`)
    const firstNewQuestion = (sqlite.prepare('select coalesce(max(id), 0) + 1 from questions').pluck().get() as number)
    const userIds: number[] = []
    for (let u = 1; u <= userCount; u++) {
      insertUser.run(`seed-${u}`, `voter${u}`, `voter${u}@example.com`, now)
      userIds.push(userId.get(`seed-${u}`) as number)
    }
    for (let q = 0; q < options.questions; q++) {
      const subject = BULK_SUBJECTS[q % BULK_SUBJECTS.length] ?? 'thing'
      const form = BULK_FORMS[Math.floor(q / BULK_SUBJECTS.length) % BULK_FORMS.length] ?? '{s}?'
      const text = `${form.replace('{s}', subject)} #${q + 1}`
      const pubDate = now - Math.floor(random() * 3 * 365 * DAY)
      const questionId = Number(insertQuestion.run(text, pubDate).lastInsertRowid)
      const choiceIds: number[] = []
      for (let c = 0; c < choicesPer; c++) choiceIds.push(Number(insertChoice.run(questionId, `Option ${c + 1}`).lastInsertRowid))
      const wanted = Math.min(perQuestion, options.votes - votes)
      const start = Math.floor(random() * userIds.length)
      for (let v = 0; v < wanted; v++) {
        const voter = userIds[(start + v) % userIds.length] as number
        insertVote.run(voter, questionId, choiceIds[Math.floor(random() * choiceIds.length)], pubDate)
      }
      votes += wanted
    }
    sqlite.prepare(`update questions set
        choice_count = (select count(*) from choices c where c.question_id = questions.id),
        vote_count = (select count(*) from votes v where v.question_id = questions.id)
      where id >= ?`).run(firstNewQuestion)
    sqlite.prepare('insert into questions_search(rowid, question_text) select key, question_text from questions_search_rows where id >= ? order by key').run(firstNewQuestion)
    sqlite.prepare('insert into questions_search_short(rowid, chars) select key, chars from questions_search_rows where id >= ? order by key').run(firstNewQuestion)
    for (const trigger of triggers) sqlite.exec(trigger.sql)
  }).immediate()
  sqlite.pragma('synchronous = FULL')
  sqlite.pragma('wal_checkpoint(TRUNCATE)')
  return { questions: options.questions, choices: options.questions * choicesPer, votes, users: userCount }
}
