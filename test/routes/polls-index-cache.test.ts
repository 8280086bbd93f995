// GET /polls/ keeps its anonymous HTML (src/routes/polls/index.ts): never stale, never someone else's.
import t from 'tap'
import { TestBrowser, addQuestion, buildTestApp } from '../helpers/app.ts'
import { eachDatabase, sqlRows } from '../helpers/databases.ts'

const titles = (body: string) => [...body.matchAll(/<a class="poll-link" href="\/polls\/\d+\/">([^<]*)<\/a>/g)].map((m) => m[1])

/** The list's titles once they are the expected ones, or as they are after `ms` (another node's change reaches this one by a notification). */
async function listedWithin (ms: number, visitor: TestBrowser, expected: string[]) {
  const deadline = Date.now() + ms
  for (;;) {
    const shown = titles((await visitor.get('/polls/')).body)
    if (JSON.stringify(shown) === JSON.stringify(expected) || Date.now() > deadline) return shown
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

eachDatabase('the anonymous list follows every change, in this process or another', async (t, db) => {
  const { app } = await buildTestApp(t, { db })
  const visitor = new TestBrowser(app)
  await addQuestion(app, 'First?', -1)
  t.same(titles((await visitor.get('/polls/')).body), ['First?'])
  t.same(titles((await visitor.get('/polls/')).body), ['First?'], 'served again')

  await addQuestion(app, 'Second?', -0.5)
  t.same(titles((await visitor.get('/polls/')).body), ['Second?', 'First?'], 'a question added by this process')

  // Another app on the same database: another process on this machine, or another node.
  const other = await buildTestApp(t, { db, env: { DATABASE_URL: app.config.databaseUrl } })
  await sqlRows(other.app, 'update questions set question_text = ? where question_text = ?', ['First, edited?', 'First?'])
  t.same(await listedWithin(2000, visitor, ['Second?', 'First, edited?']), ['Second?', 'First, edited?'], 'an edit committed by another node, shown within 2 s')
  await sqlRows(other.app, 'delete from questions where question_text = ?', ['Second?'])
  t.same(await listedWithin(2000, visitor, ['First, edited?']), ['First, edited?'], 'a delete committed by another node')
})

eachDatabase('a scheduled question appears when its time comes, with no write in between', async (t, db) => {
  const { app } = await buildTestApp(t, { db })
  const visitor = new TestBrowser(app)
  await addQuestion(app, 'Now?', -1)
  await addQuestion(app, 'Soon?', 0.4 / 86_400) // 400 ms from now
  t.same(titles((await visitor.get('/polls/')).body), ['Now?'])
  await new Promise((resolve) => setTimeout(resolve, 500))
  t.same(titles((await visitor.get('/polls/')).body), ['Soon?', 'Now?'])
})

eachDatabase('never a signed-in page for a visitor, nor a visitor\'s page for a signed-in user; flash messages are not kept', async (t, db) => {
  const { app } = await buildTestApp(t, { db })
  await addQuestion(app, 'Shared?', -1)
  const visitor = new TestBrowser(app)
  const before = await visitor.get('/polls/')
  const carol = new TestBrowser(app)
  await carol.login('carol')
  const hers = await carol.get('/polls/')
  t.match(hers.body, /Signed in as <strong>carol<\/strong>/)
  t.match(hers.body, /<meta name="csrf-token"/)
  const after = await visitor.get('/polls/')
  t.equal(after.body, before.body, 'the visitor\'s page is unchanged')
  t.notMatch(after.body, /carol|csrf-token/)
  t.match(after.body, /href="\/oidc\/authenticate\/\?next=%2Fpolls%2F"/)
  t.match((await visitor.get('/polls/?page=2')).body, /next=%2Fpolls%2F%3Fpage%3D2"/, 'the login link names the URL asked for')

  // Logging out leaves a flash for the next page: carol sees it once, other visitors never.
  const token = await carol.csrfToken('/polls/')
  await carol.post('/oidc/logout/', { _csrf: token })
  const flashed = await carol.get('/polls/')
  t.match(flashed.body, /You have been logged out/)
  t.notMatch((await carol.get('/polls/')).body, /You have been logged out/, 'once')
  t.notMatch((await visitor.get('/polls/')).body, /You have been logged out/)
})
