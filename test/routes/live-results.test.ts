// The live results' change check: GET /polls/:id/results/ as htmx with If-None-Match. Unchanged → a
// bodiless 304; changed → the new fragment (naming the next version to ask about); staff only, every poll.
import t from 'tap'
import { TestBrowser, addQuestion, buildTestApp, pageText, type Page } from '../helpers/app.ts'
import { eachDatabase, sqlRows, sqlRow, sqlValue } from '../helpers/databases.ts'

const HTMX = { 'hx-request': 'true' }

/** The ETag the live fragment will send back, read from its hx-headers as htmx reads it. */
function shownTag (page: Page): string {
  const headers = /hx-headers="([^"]*)"/.exec(page.body)?.[1]
  if (headers === undefined) throw new Error(`no live results in ${page.status} ${page.body.slice(0, 200)}`)
  return (JSON.parse(headers.replaceAll('&quot;', '"')) as Record<string, string>)['If-None-Match'] as string
}
const versionOf = (tag: string) => Number(/"results-(\d+)"/.exec(tag)?.[1])

eachDatabase('unchanged → 304 with no body; each kind of change → the new fragment', async (t, db) => {
  const { app, serverErrors } = await buildTestApp(t, { db })
  const q = await addQuestion(app, 'Live?', -1, ['Yes', 'No'])
  const [yes, no] = q.choices
  if (yes === undefined || no === undefined) throw new Error('choices missing')
  const bob = new TestBrowser(app)
  await bob.login('bob')
  const carol = new TestBrowser(app)
  await carol.login('carol')
  const token = await carol.csrfToken(`/polls/${q.id}/`)
  const vote = (choice: number) => carol.post(`/polls/${q.id}/vote/`, { choice: String(choice) }, { ...HTMX, 'x-csrf-token': token })
  const poll = (tag: string) => bob.get(`/polls/${q.id}/results/`, { ...HTMX, 'if-none-match': tag })
  // Admin changes straight through the data layer (their routes have their own tests); bob stands in as the actor.
  const actor = await sqlRow<{ id: number, username: string }>(app, 'select id, username from users where username = ?', ['bob'])
  if (actor === undefined) throw new Error('no bob')

  const page = await bob.get(`/polls/${q.id}/results/`)
  t.equal(page.status, 200)
  t.match(page.body, /<html[\s\S]*data-live/, 'the page includes the live fragment')
  let tag = shownTag(page)

  const unchanged = await poll(tag)
  t.equal(unchanged.status, 304, 'nothing changed: 304')
  t.equal(unchanged.body, '', 'with no body')
  t.equal(unchanged.headers.etag, tag)
  t.equal(unchanged.headers['cache-control'], 'no-store')
  t.equal(unchanged.headers['set-cookie'], undefined, 'and no cookie to re-encrypt')

  const steps: Array<[string, () => Promise<unknown>, RegExp]> = [
    ['a new vote', () => vote(yes.id), /Yes — 1 vote\b[\s\S]*No — 0 votes/],
    ['a vote moved to another choice', () => vote(no.id), /Yes — 0 votes[\s\S]*No — 1 vote\b/],
    ['a choice renamed', async () => await app.admin.choices.updateChoice(actor, no.id, 'Nope'), /Nope — 1 vote\b/],
    ['a choice added', async () => await app.admin.choices.addChoice(actor, q.id, 'Maybe'), /Maybe — 0 votes/],
    ['a choice (and its vote) deleted', async () => await app.admin.choices.deleteChoice(actor, no.id), /Total: 0 votes/]
  ]
  for (const [what, change, shows] of steps) {
    await change()
    const changed = await poll(tag)
    t.equal(changed.status, 200, `${what}: 200`)
    t.notMatch(changed.body, /<html/, `${what}: a fragment, not a page`)
    t.match(pageText(changed.body), shows, `${what}: the new tally`)
    const next = shownTag(changed)
    t.equal(changed.headers.etag, next, `${what}: the response's ETag is the one the fragment sends back`)
    t.ok(versionOf(next) > versionOf(tag), `${what}: a newer version`)
    tag = next
    t.equal((await poll(tag)).status, 304, `${what}: then unchanged again`)
  }

  await vote(yes.id)
  tag = shownTag(await poll(tag))
  await vote(yes.id)
  t.equal((await poll(tag)).status, 304, 'voting again for the same choice changes nothing')

  t.equal((await bob.get(`/polls/${q.id}/results/`, { 'if-none-match': tag })).status, 200, 'without htmx: always the page')
  t.same(serverErrors, [])
})

eachDatabase('the change check is for staff only; an expired session is sent to the login, never swapped', async (t, db) => {
  const { app, serverErrors } = await buildTestApp(t, { db })
  const q = await addQuestion(app, 'Guarded?', -1, ['A'])
  const gone = await addQuestion(app, 'Deleted soon?', -1, ['A'])
  const url = (id: number) => `/polls/${id}/results/`
  const POLL = { ...HTMX, 'if-none-match': '"results-0"' }

  const anonymous = new TestBrowser(app)
  const expired = await anonymous.get(url(q.id), POLL)
  t.equal(expired.status, 401, 'no session: 401')
  t.equal(expired.headers['hx-redirect'], `/oidc/authenticate/?next=${encodeURIComponent(url(q.id))}`, 'HX-Redirect to the login, coming back here')
  t.equal(expired.body, '', 'and nothing to swap')

  const carol = new TestBrowser(app)
  await carol.login('carol')
  const refused = await carol.get(url(q.id), POLL)
  t.equal(refused.status, 403, 'the user role: 403')
  t.equal(refused.headers['hx-retarget'], '#alerts', 'the refusal goes to the alert area, not into the results')
  t.match(refused.body, /needs the staff role/)
  t.notMatch(refused.body, /data-live/)

  const bob = new TestBrowser(app)
  await bob.login('bob')
  await sqlRows(app, 'delete from questions where id = ?', [gone.id])
  const missing = await bob.get(url(gone.id), POLL)
  t.equal(missing.status, 404, 'a deleted question: 404')
  t.equal(missing.headers['hx-retarget'], '#alerts')
  t.equal((await bob.get('/polls/abc/results/', POLL)).status, 400, 'a malformed id: 400')
  t.equal((await bob.get(url(q.id), { ...HTMX, 'if-none-match': 'garbage' })).status, 200, 'an unknown tag: the fragment')
  t.same(serverErrors, [])
})

eachDatabase('several processes (nodes) share the database: a vote through one shows in the other\'s check', async (t, db) => {
  const one = await buildTestApp(t, { db })
  const other = await buildTestApp(t, { db, provider: one.provider, env: { DATABASE_URL: one.app.config.databaseUrl } })
  const q = await addQuestion(one.app, 'Shared?', -1, ['A', 'B'])
  const bob = new TestBrowser(other.app)
  await bob.login('bob')
  const tag = shownTag(await bob.get(`/polls/${q.id}/results/`))
  const poll = () => bob.get(`/polls/${q.id}/results/`, { ...HTMX, 'if-none-match': tag })
  t.equal((await poll()).status, 304)

  const carol = new TestBrowser(one.app)
  await carol.login('carol')
  const token = await carol.csrfToken(`/polls/${q.id}/`)
  await carol.post(`/polls/${q.id}/vote/`, { choice: String(q.choices[1]?.id) }, { ...HTMX, 'x-csrf-token': token })
  const changed = await poll()
  t.equal(changed.status, 200, 'the other process sees the change')
  t.match(pageText(changed.body), /B — 1 vote\b/)
  t.same([...one.serverErrors, ...other.serverErrors], [])
})
