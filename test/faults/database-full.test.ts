// The database cannot be written (SQLite really fails: SQLITE_FULL from a size cap on the app's own
// connection, SQLITE_READONLY from query_only): 503 page or fragment and a log line, nothing half
// written, and the next vote succeeds once the fault is lifted, without a restart.
import t from 'tap'
import { Writable } from 'node:stream'
import type { FastifyInstance } from 'fastify'
import { seedBulk } from '../../src/db/bulk-seed.ts'
import { TestBrowser, addQuestion, buildTestApp } from '../helpers/app.ts'

/** Published questions with their first choice, and the seeded users: material to fill the file with. */
function ballots (app: FastifyInstance) {
  return app.db.$client.prepare(`select u.id as userId, q.id as questionId, min(c.id) as choiceId from users u, questions q
    join choices c on c.question_id = q.id where q.pub_date <= ? and u.sub like 'seed-%' group by u.id, q.id`).all(Date.now()) as Array<{ userId: number, questionId: number, choiceId: number }>
}

/** Caps the file at its current size, then votes until it is full, as a full disk would leave it. */
async function fillUp (app: FastifyInstance) {
  const sqlite = app.db.$client
  sqlite.pragma(`max_page_count = ${sqlite.pragma('page_count', { simple: true }) as number}`)
  for (const b of ballots(app)) {
    try {
      await app.polls.castVote(b.userId, b.questionId, b.choiceId)
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_FULL') return
      throw err
    }
  }
  throw new Error('the database never filled up')
}
const liftCap = (app: FastifyInstance) => app.db.$client.pragma('max_page_count = 1073741823')

function counters (app: FastifyInstance) {
  const sqlite = app.db.$client
  return {
    votes: sqlite.prepare('select count(*) from votes').pluck().get() as number,
    // The per-question totals are kept by triggers in the same transaction: they must match the rows.
    mismatched: sqlite.prepare('select count(*) from questions q where q.vote_count != (select count(*) from votes v where v.question_id = q.id)').pluck().get() as number,
    integrity: sqlite.pragma('integrity_check', { simple: true })
  }
}

t.test('a failed group commit answers every waiting vote with the error and writes none of them', async (t) => {
  const { app } = await buildTestApp(t)
  seedBulk(app.db, { questions: 40, votes: 0, users: 25 })
  const sqlite = app.db.$client
  const batch = ballots(app)
  t.ok(batch.length > 500, `${batch.length} votes, far more than one page holds`)
  sqlite.pragma(`max_page_count = ${sqlite.pragma('page_count', { simple: true }) as number}`)
  // Cast in one tick: one batch, one transaction.
  const outcomes = await Promise.allSettled(batch.map((b) => app.polls.castVote(b.userId, b.questionId, b.choiceId)))
  t.ok(outcomes.every((o) => o.status === 'rejected' && (o.reason as { code?: string }).code === 'SQLITE_FULL'), 'every waiting vote gets SQLITE_FULL')
  t.same(counters(app), { votes: 0, mismatched: 0, integrity: 'ok' }, 'none of the batch was written')

  liftCap(app)
  const again = await Promise.all(batch.map((b) => app.polls.castVote(b.userId, b.questionId, b.choiceId)))
  t.ok(again.every((r) => r.ok), 'the same batch succeeds once there is room')
  t.same(counters(app), { votes: batch.length, mismatched: 0, integrity: 'ok' })
})

t.test('disk full: 503 page or fragment with Retry-After, a log line, nothing written; recovers without restart', async (t) => {
  const lines: string[] = []
  const logStream = new Writable({ write (chunk: Buffer, _enc, done) { lines.push(chunk.toString()); done() } })
  const { app, serverErrors } = await buildTestApp(t, { logStream, logLevel: 'warn' })
  seedBulk(app.db, { questions: 300, votes: 0, users: 20 })
  const carol = new TestBrowser(app)
  await carol.login('carol')
  const token = await carol.csrfToken('/')
  await fillUp(app)
  const votedBefore = counters(app).votes

  // Carol votes on one question after another until her vote no longer fits: the same write then
  // fails the same way every time until there is room again.
  const questions = ballots(app).filter((b, i, all) => all.findIndex((o) => o.questionId === b.questionId) === i)
  let fragment: Awaited<ReturnType<typeof carol.post>> | undefined
  let q: typeof questions[number] | undefined
  for (const candidate of questions) {
    q = candidate
    fragment = await carol.post(`/polls/${q.questionId}/vote/`, { choice: String(q.choiceId) }, { 'hx-request': 'true', 'x-csrf-token': token })
    if (fragment.status !== 200) break
  }
  if (fragment === undefined || q === undefined) throw new Error('no questions')
  const refusedVote = () => app.db.$client.prepare('select count(*) from votes v join users u on u.id = v.user_id where u.username = ? and v.question_id = ?').pluck().get('carol', q?.questionId)
  t.equal(fragment.status, 503)
  t.equal(fragment.headers['retry-after'], '60')
  t.equal(fragment.headers['hx-retarget'], '#alerts')
  t.notMatch(fragment.body, /<html/)
  t.match(fragment.body, /cannot save anything right now, so nothing was changed/)
  t.match(fragment.body, /Reference: <code>[0-9a-f-]{36}<\/code>/, 'with the request id to quote')

  const page = await carol.post(`/polls/${q.questionId}/vote/`, { choice: String(q.choiceId), _csrf: token })
  t.equal(page.status, 503)
  t.match(page.body, /<html[\s\S]*Service unavailable[\s\S]*cannot save anything/)
  t.equal(refusedVote(), 0, 'the refused vote is not there')
  const full = counters(app)
  t.same({ mismatched: full.mismatched, integrity: full.integrity }, { mismatched: 0, integrity: 'ok' }, 'totals match the rows: nothing half written')
  const logged = lines.filter((l) => l.includes('database cannot be written'))
  t.equal(logged.length, 2, 'one log line per refused request')
  t.match(logged[0], /"level":50.*"reqId":"[0-9a-f-]{36}".*"code":"SQLITE_FULL".*check free disk space/)
  t.notMatch(logged.join(''), /params:/, 'the query\'s parameters stay out of the log')

  t.equal((await carol.get(`/polls/${q.questionId}/`)).status, 200, 'reading still works while full')
  t.ok(votedBefore > 0, `the file filled up with votes first (${votedBefore}, then ${full.votes - votedBefore} by carol)`)

  liftCap(app)
  const after = await carol.post(`/polls/${q.questionId}/vote/`, { choice: String(q.choiceId) }, { 'hx-request': 'true', 'x-csrf-token': token })
  t.equal(after.status, 200, 'the same vote succeeds once there is room, same process')
  t.match(after.body, /Your vote for “Option 1” is counted/)
  t.equal(refusedVote(), 1)
  t.same(counters(app), { votes: full.votes + 1, mismatched: 0, integrity: 'ok' })
  t.same(serverErrors.filter((e) => !e.endsWith('503')), [], 'no 500')
})

t.test('a read-only database: 503 with Retry-After, and writable again without a restart', async (t) => {
  const { app, serverErrors } = await buildTestApp(t, { logStream: new Writable({ write (_c, _e, done) { done() } }), logLevel: 'warn' })
  const q = await addQuestion(app, 'Read only?', -1, ['Yes', 'No'])
  const carol = new TestBrowser(app)
  await carol.login('carol')
  const token = await carol.csrfToken(`/polls/${q.id}/`)
  app.db.$client.pragma('query_only = ON')
  const refused = await carol.post(`/polls/${q.id}/vote/`, { choice: String(q.choices[0]?.id) }, { 'hx-request': 'true', 'x-csrf-token': token })
  t.equal(refused.status, 503)
  t.equal(refused.headers['retry-after'], '60')
  app.db.$client.pragma('query_only = OFF')
  const after = await carol.post(`/polls/${q.id}/vote/`, { choice: String(q.choices[0]?.id) }, { 'hx-request': 'true', 'x-csrf-token': token })
  t.equal(after.status, 200)
  t.equal(counters(app).votes, 1)
  t.same(serverErrors.filter((e) => !e.endsWith('503')), [])
})
