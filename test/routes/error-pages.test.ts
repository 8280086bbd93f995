// 403, 404, 429 and 500 as pages in the site's layout (a heading, what to do next, a link home) and as
// the fragment htmx puts into #alerts; never a stack trace or a secret.
import t, { type Test } from 'tap'
import { Writable } from 'node:stream'
import { TestBrowser, addQuestion, buildTestApp, type Page } from '../helpers/app.ts'

const HTMX = { 'hx-request': 'true' }
const SECRET = 'hunter2-db-password'

function checkPage (t: Test, page: Page, status: number, heading: string, next: RegExp) {
  t.equal(page.status, status, `${status}: status`)
  t.match(page.body, /<html[\s\S]*class="site-header"[\s\S]*<main id="main">[\s\S]*class="site-footer"/, `${status}: in the site's layout`)
  t.match(page.body, `<title>${heading} · Polls</title>`, `${status}: the title says what happened`)
  t.match(page.body, `<h1>${heading}</h1>`, `${status}: a clear heading`)
  t.match(page.body, next, `${status}: what to do next`)
  t.match(page.body, '<a href="/">Go to the home page</a>', `${status}: a link home`)
}

function checkFragment (t: Test, page: Page, status: number, heading: string) {
  t.equal(page.status, status, `${status} fragment: status`)
  t.notMatch(page.body, /<html|site-header/, `${status} fragment: no layout`)
  t.equal(page.headers['hx-retarget'], '#alerts', `${status} fragment: into the alert area`)
  t.match(page.body, `<h2>${heading}</h2>`, `${status} fragment: the same heading, under the page's own h1`)
}

function checkNoLeak (t: Test, page: Page, label: string) {
  t.notMatch(page.body, SECRET, `${label}: not the error's message`)
  t.notMatch(page.body, /\n\s+at [\w.<>]+ \(|node_modules|\.ts:\d+/, `${label}: no stack trace`)
  t.notMatch(page.body, /session-secret|polls-test-secret/, `${label}: no configured secret`)
}

t.test('each status: a page in the layout and an #alerts fragment from the same partial', async (t) => {
  const lines: string[] = []
  const logStream = new Writable({ write (chunk: Buffer, _enc, done) { lines.push(chunk.toString()); done() } })
  const { app, serverErrors } = await buildTestApp(t, { logStream, env: { RATE_LIMIT_VOTES_PER_MINUTE: '1' } })
  const q = await addQuestion(app, 'Errors?', -1, ['A', 'B'])
  const carol = new TestBrowser(app)
  await carol.login('carol')

  const notFound = await carol.get('/no-such-page')
  checkPage(t, notFound, 404, 'Page not found', /Check the address/)
  checkFragment(t, await carol.get('/polls/424242/', HTMX), 404, 'Page not found')
  checkPage(t, await new TestBrowser(app).get('/no-such-page'), 404, 'Page not found', /Check the address/)

  const forbidden = await carol.get('/admin/')
  checkPage(t, forbidden, 403, 'You can’t use this page', /needs the admin role[\s\S]*ask an administrator/)
  checkFragment(t, await carol.get(`/polls/${q.id}/results/`, HTMX), 403, 'You can’t use this page')

  const token = await carol.csrfToken(`/polls/${q.id}/`)
  const vote = (headers: Record<string, string> = {}) => carol.post(`/polls/${q.id}/vote/`, { _csrf: token, choice: String(q.choices[0]?.id) }, headers)
  t.equal((await vote()).status, 303, 'the first vote in the minute')
  const limited = await vote()
  checkPage(t, limited, 429, 'Too many requests', /Wait a minute, then try again/)
  t.ok(Number(limited.headers['retry-after']) > 0, '429: with Retry-After')
  checkFragment(t, await vote({ ...HTMX, 'x-csrf-token': token }), 429, 'Too many requests')

  // A fault deep inside: its message must reach the log (with the request id), never the visitor.
  const original = app.polls.latestPublishedQuestions
  app.polls.latestPublishedQuestions = () => { throw new Error(`SQLITE_IOERR: ${SECRET} at /srv/polls/data/polls.db`) }
  t.teardown(() => { app.polls.latestPublishedQuestions = original })
  const failed = await carol.get('/polls/')
  checkPage(t, failed, 500, 'Something went wrong', /Try again in a minute/)
  const requestId = String(failed.headers['x-request-id'])
  t.match(failed.body, `Reference: <code>${requestId}</code>`, '500: the reference is the request id')
  checkNoLeak(t, failed, '500 page')
  const failedFragment = await carol.get('/polls/', HTMX)
  checkFragment(t, failedFragment, 500, 'Something went wrong')
  checkNoLeak(t, failedFragment, '500 fragment')
  const logged = lines.find((line) => line.includes(requestId))
  t.match(logged, SECRET, 'the log has the real error, under the same request id')
  t.same(serverErrors, ['GET /polls/ → 500', 'GET /polls/ → 500'], 'the only 5xx are the two provoked ones')

  for (const page of [notFound, forbidden, limited]) checkNoLeak(t, page, `${page.status} page`)
  const json = await app.inject({ url: '/no-such-page', headers: { accept: 'application/json' } })
  t.same(json.json(), { statusCode: 404, error: 'Not Found', message: 'There is no page at this address.' }, 'JSON clients get the HTTP reason phrase')
})

t.test('a failed database query is logged without its parameters (they can be tokens)', async (t) => {
  const lines: string[] = []
  const logStream = new Writable({ write (chunk: Buffer, _enc, done) { lines.push(chunk.toString()); done() } })
  const { app, serverErrors } = await buildTestApp(t, { logStream })
  const carol = new TestBrowser(app)
  await carol.login('carol')
  const { id, idToken } = app.db.$client.prepare('select id, id_token as idToken from sessions').get() as { id: string, idToken: string }
  // The next login's session insert fails inside drizzle, whose error message lists the row's values.
  app.db.$client.exec('create trigger refuse_sessions before insert on sessions begin select raise(abort, \'sessions are closed\'); end')
  const failed = await new TestBrowser(app).login('bob')
  t.equal(failed.status, 500)
  const logged = lines.filter((line) => line.includes('"level":50')).join('\n')
  t.match(logged, /sessions are closed/, 'the database error is logged')
  t.notMatch(logged, /eyJ/, 'but no token from the parameters')
  t.notMatch(logged, id, 'and no session id')
  t.notMatch(logged, idToken.slice(0, 40))
  t.match(serverErrors, [/^GET \/oidc\/callback\/\?.* → 500$/], 'the one provoked 500')
  t.equal(serverErrors.length, 1)
})
