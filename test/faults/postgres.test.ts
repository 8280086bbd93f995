// PostgreSQL's faults: the server down or restarting, and every connection of the pool taken. Each
// answers 503 with Retry-After (never a 500, never a hang), writes nothing half, and the app recovers
// by itself when the database is back.
import t from 'tap'
import { Writable } from 'node:stream'
import { TestBrowser, addQuestion, buildTestApp } from '../helpers/app.ts'
import { startPostgresServer } from '../helpers/postgres.ts'

const HTMX = { 'hx-request': 'true' }
const quiet = () => new Writable({ write (_c, _e, done) { done() } })

t.test('the database down and back: 503 with Retry-After, nothing written, and recovery without a restart', async (t) => {
  // A server of this test's own, since it is taken down.
  const server = await startPostgresServer()
  const { app, serverErrors } = await buildTestApp(t, {
    env: { DATABASE_URL: await server.freshDatabase(), DATABASE_POOL_TIMEOUT_MS: '1000' }, logStream: quiet(), logLevel: 'warn'
  })
  t.teardown(() => server.stop()) // after the app's own teardown: the app closes first
  const q = await addQuestion(app, 'Still there?', -1, ['Yes', 'No'])
  const [yes, no] = q.choices
  const carol = new TestBrowser(app)
  await carol.login('carol')
  const token = await carol.csrfToken(`/polls/${q.id}/`)
  const vote = (choice: number | undefined) => carol.post(`/polls/${q.id}/vote/`, { choice: String(choice) }, { ...HTMX, 'x-csrf-token': token })
  t.equal((await vote(yes?.id)).status, 200, 'a vote while the database is up')

  await server.down()
  const started = Date.now()
  const refused = await vote(no?.id)
  t.equal(refused.status, 503, 'a vote while it is down: 503')
  t.ok(Number(refused.headers['retry-after']) > 0, 'with Retry-After')
  t.equal(refused.headers['hx-retarget'], '#alerts', 'shown in the page\'s alert area')
  t.match(refused.body, /nothing was changed/)
  t.ok(Date.now() - started < 5000, 'answered promptly, not hung')
  t.equal((await carol.get('/polls/')).status, 503, 'a page that reads: 503 as well')
  t.equal((await app.inject('/readyz')).statusCode, 503, 'and /readyz says not ready')

  await server.up()
  let back = await vote(no?.id)
  for (let i = 0; i < 50 && back.status !== 200; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100))
    back = await vote(no?.id)
  }
  t.equal(back.status, 200, 'the next vote after the database is back succeeds, without a restart')
  t.same((await app.polls.tallyVotes(q.id)).map((c) => c.votes), [0, 1], 'the refused vote wrote nothing; the later one moved the vote')
  t.equal((await app.inject('/readyz')).statusCode, 200, 'ready again')
  t.same(serverErrors.filter((e) => !e.endsWith('503')), [], 'no other 5xx than the 503s')
})

t.test('a full pool answers 503 within DATABASE_POOL_TIMEOUT_MS, and serves again once a connection is free', async (t) => {
  const { app, serverErrors } = await buildTestApp(t, {
    db: 'postgres', env: { DATABASE_POOL_SIZE: '2', DATABASE_POOL_TIMEOUT_MS: '300' }, logStream: quiet(), logLevel: 'warn'
  })
  if (app.store.kind !== 'postgres') throw new Error('expected the PostgreSQL store')
  const q = await addQuestion(app, 'Crowded?', -1, ['Yes', 'No'])
  const carol = new TestBrowser(app)
  await carol.login('carol')
  const token = await carol.csrfToken(`/polls/${q.id}/`)
  const held = await Promise.all([app.store.pool.connect(), app.store.pool.connect()])
  const started = Date.now()
  const refused = await carol.post(`/polls/${q.id}/vote/`, { choice: String(q.choices[0]?.id) }, { ...HTMX, 'x-csrf-token': token })
  const waited = Date.now() - started
  t.equal(refused.status, 503, 'every connection taken: 503')
  t.ok(Number(refused.headers['retry-after']) > 0, 'with Retry-After')
  t.ok(waited >= 250 && waited < 3000, `after the acquire timeout, not a hang (${waited} ms)`)
  for (const client of held) client.release()
  const served = await carol.post(`/polls/${q.id}/vote/`, { choice: String(q.choices[0]?.id) }, { ...HTMX, 'x-csrf-token': token })
  t.equal(served.status, 200, 'a free connection: served')
  t.same((await app.polls.tallyVotes(q.id)).map((c) => c.votes), [1, 0], 'one vote, the refused one not written')
  t.same(serverErrors.filter((e) => !e.endsWith('503')), [])
})
