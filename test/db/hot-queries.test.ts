import t from 'tap'
import { eq } from 'drizzle-orm'
import { join } from 'node:path'
import { openDatabase } from '../../src/db/client.ts'
import { createPollQueries } from '../../src/db/polls.ts'
import { createSessionQueries } from '../../src/db/sessions.ts'
import { createUserQueries } from '../../src/db/users.ts'
import { createQuestion } from '../../src/db/seed.ts'
import { questions, users } from '../../src/db/schema.ts'

// The per-request reads are hand-written SQL for speed; these tests hold them to what drizzle's
// schema says a row is, so a column added to the schema cannot silently go missing from them.
t.test('the session lookup returns the user exactly as drizzle maps the row', async (t) => {
  const db = openDatabase(join(t.testdir({}), 'polls.db'))
  t.teardown(() => db.$client.close())
  const user = createUserQueries(db).recordLogin({ sub: 'sub-1', username: 'carol', email: 'carol@example.com', firstName: 'Carol', lastName: 'C', role: 'staff' })
  const sessions = createSessionQueries(db)
  const now = Date.now()
  const withRefresh = sessions.startSession({ userId: user.id, idToken: 'id', refreshToken: 'sealed', lifetimeMs: 60_000, renewAfterMs: 30_000 }, now)
  const without = sessions.startSession({ userId: user.id, idToken: 'id', lifetimeMs: 60_000, renewAfterMs: 30_000 }, now)

  const expected = db.select().from(users).where(eq(users.id, user.id)).get()
  const found = sessions.sessionUser(withRefresh, now)
  t.same(found?.user, expected, 'every column, with dates as Date and is_active as a boolean')
  t.ok(found?.user.dateJoined instanceof Date)
  t.equal(found?.user.isActive, true)
  t.equal(found?.hasRefreshToken, true)
  t.equal(found?.renewAt.getTime(), now + 30_000)
  t.equal(found?.lastSeenAt.getTime(), now)
  t.equal(sessions.sessionUser(without, now)?.hasRefreshToken, false)
  t.equal(sessions.sessionUser(withRefresh, now + 60_000), undefined, 'expired: no user')
  t.equal(sessions.sessionUser('no-such-session', now), undefined)

  db.update(users).set({ isActive: false, lastLogin: null }).where(eq(users.id, user.id)).run()
  const deactivated = sessions.sessionUser(withRefresh, now)
  t.equal(deactivated?.user.isActive, false)
  t.equal(deactivated?.user.lastLogin, null)
})

t.test('the question reads return rows exactly as drizzle maps them', async (t) => {
  const db = openDatabase(join(t.testdir({}), 'polls.db'))
  t.teardown(() => db.$client.close())
  const polls = createPollQueries(db)
  const published = createQuestion(db, { questionText: 'Out?', pubDate: new Date(Date.now() - 1000), choices: ['B', 'A'] })
  const scheduled = createQuestion(db, { questionText: 'Later?', pubDate: new Date(Date.now() + 60_000), choices: ['X'] })

  const expected = db.select().from(questions).where(eq(questions.id, published.id)).get()
  const found = polls.publishedQuestionWithChoices(published.id)
  t.same({ ...found, choices: undefined }, { ...expected, choices: undefined }, 'every column, pub_date as Date')
  t.ok(found?.pubDate instanceof Date)
  t.same(found?.choices.map((c) => c.choiceText), ['B', 'A'], 'choices in the order they were added')
  t.equal(polls.publishedQuestionWithChoices(scheduled.id), undefined, 'not published yet')
  t.equal(polls.userVote(1, published.id), undefined, 'no vote yet')
})
