import pg from 'pg'
import type { Question } from '../schema.ts'
import type { BulkSeedOptions, BulkSeedResult, NewQuestion } from '../store.ts'
import { BULK_FORMS, BULK_SUBJECTS } from '../bulk-seed.ts'
import type { PgDb } from './client.ts'
import { choices, questions } from './schema.ts'

export async function pgCreateQuestion (db: PgDb, input: NewQuestion): Promise<Question> {
  return db.transaction(async (tx) => {
    const [question] = await tx.insert(questions).values({ questionText: input.questionText, pubDate: input.pubDate }).returning()
    if (question === undefined) throw new Error('createQuestion: the insert returned no row')
    if (input.choices.length > 0) await tx.insert(choices).values(input.choices.map((choiceText) => ({ questionId: question.id, choiceText })))
    return question
  })
}

const DAY = 24 * 60 * 60 * 1000

/**
 * The same synthetic data as SQLite's seedBulk (questions over three years, `choicesPerQuestion` choices,
 * one vote per voter and question), generated inside PostgreSQL with generate_series: one transaction,
 * a handful of statements however large the data. The counter triggers are set aside for the load and
 * the totals (per question, and per day: question_days) filled in once; the poll lists of every node are told at the commit.
 */
export async function pgSeedBulk (url: string, options: BulkSeedOptions): Promise<BulkSeedResult> {
  const now = options.now ?? Date.now()
  const choicesPer = options.choicesPerQuestion ?? 3
  const perQuestion = options.questions === 0 ? 0 : Math.ceil(options.votes / options.questions)
  const userCount = Math.max(options.users ?? 1000, perQuestion)
  // A connection of its own, without the pool's time limits: a million votes take longer than a request may.
  const client = new pg.Client({ connectionString: url, application_name: 'polls seed' })
  await client.connect()
  try {
    await client.query('begin')
    await client.query('set local statement_timeout = 0')
    await client.query('select setseed(0.42)')
    for (const table of ['questions', 'choices', 'votes']) await client.query(`alter table ${table} disable trigger user`)
    await client.query(`insert into users (sub, username, email, role, date_joined)
      select 'seed-' || u, 'voter' || u, 'voter' || u || '@example.com', 'user', $2 from generate_series(1, $1::int) u
      on conflict (sub) do nothing`, [userCount, new Date(now)])
    await client.query(`create temp table seed_voters on commit drop as
      select u - 1 as k, id from users join generate_series(1, $1::int) u on sub = 'seed-' || u`, [userCount])
    // A GIN index takes each new row's keys one by one (the short search's index: dozens per row); built
    // afresh after the load, it sorts them all at once. Readers of questions wait for the commit either way.
    const gin = (await client.query("select indexname, indexdef from pg_indexes where schemaname = current_schema() and tablename = 'questions' and indexdef like '% USING gin %'")).rows as Array<{ indexname: string, indexdef: string }>
    for (const index of gin) await client.query(`drop index "${index.indexname}"`)
    const base = (await client.query('select coalesce(max(id), 0) as q, (select coalesce(max(id), 0) from choices) as c from questions')).rows[0] as { q: number, c: number }
    await client.query(`insert into questions (id, question_text, pub_date, choice_count)
      select $1::int + g + 1,
        replace(($3::text[])[1 + (g / array_length($2::text[], 1)) % array_length($3::text[], 1)], '{s}', ($2::text[])[1 + g % array_length($2::text[], 1)]) || ' #' || (g + 1),
        to_timestamp(($4::bigint - floor(random() * $5::bigint)) / 1000.0), $6::int
      from generate_series(0, $7::int - 1) g`,
    [base.q, BULK_SUBJECTS, BULK_FORMS, now, 3 * 365 * DAY, choicesPer, options.questions])
    await client.query(`insert into choices (id, question_id, choice_text)
      select $1::int + g * $3::int + c, $2::int + g + 1, 'Option ' || c
      from generate_series(0, $4::int - 1) g, generate_series(1, $3::int) c`, [base.c, base.q, choicesPer, options.questions])
    const { rowCount } = await client.query(`insert into votes (user_id, question_id, choice_id, voted_at)
      select v.id, q.id, $2::int + (q.id - $1::int - 1) * $3::int + 1 + floor(random() * $3::int)::int, q.pub_date
      from (select id, pub_date, floor(random() * $4::int)::int as start from questions where id > $1::int) q
      cross join generate_series(0, $5::int - 1) n
      join seed_voters v on v.k = (q.start + n) % $4::int
      where (q.id - $1::int - 1) * $5::bigint + n < $6::bigint`, [base.q, base.c, choicesPer, userCount, perQuestion, options.votes])
    await client.query(`update questions q set vote_count = t.n
      from (select question_id, count(*)::int as n from votes where question_id > $1::int group by question_id) t where q.id = t.question_id`, [base.q])
    await client.query(`insert into question_days (day, questions)
      select polls_day(pub_date), count(*)::int from questions where id > $1::int group by 1
      on conflict (day) do update set questions = question_days.questions + excluded.questions`, [base.q])
    await client.query("set local maintenance_work_mem = '256MB'")
    for (const index of gin) await client.query(index.indexdef)
    for (const seq of ['questions', 'choices']) await client.query(`select setval(pg_get_serial_sequence('${seq}', 'id'), greatest((select max(id) from ${seq}), 1))`)
    for (const table of ['questions', 'choices', 'votes']) await client.query(`alter table ${table} enable trigger user`)
    await client.query("select pg_notify('polls_questions_changed', '')")
    await client.query('commit')
    // The visibility map too (what autovacuum would do later), so that counts and pages are read from indexes alone.
    await client.query('vacuum analyze questions, question_days, choices, votes, users')
    return { questions: options.questions, choices: options.questions * choicesPer, votes: rowCount ?? 0, users: userCount }
  } catch (err) {
    await client.query('rollback').catch(() => {})
    throw err
  } finally {
    await client.end().catch(() => {})
  }
}
