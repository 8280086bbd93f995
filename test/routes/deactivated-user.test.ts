import t from 'tap'
import { TestBrowser, addQuestion, buildTestApp } from '../helpers/app.ts'
import { count } from './admin/helpers.ts'

// The admin console's deactivation also deletes the user's sessions; this sets only the flag, so what
// is tested is the request hook's own check of is_active.
t.test('a user made inactive in the database is signed out at the next request, sessions kept or not', async (t) => {
  const { app, serverErrors } = await buildTestApp(t)
  const q = await addQuestion(app, 'Still here?', -1)
  const carol = new TestBrowser(app)
  await carol.login('carol')
  const token = await carol.csrfToken(`/polls/${q.id}/`)
  t.equal((await carol.get(`/polls/${q.id}/`)).status, 200, 'signed in')

  app.db.$client.prepare("update users set is_active = 0 where username = 'carol'").run()
  t.equal(await count(app, 'sessions'), 1, 'the session row is still there')
  const profile = await carol.get(`/polls/${q.id}/`)
  t.equal(profile.status, 302, 'a signed-in page sends her to the login')
  t.match(String(profile.headers.location), /^\/oidc\/authenticate\//)
  const vote = await carol.post(`/polls/${q.id}/vote/`, { choice: String(q.choices[0]?.id) }, { 'hx-request': 'true', 'x-csrf-token': token })
  t.equal(vote.status, 401, 'a vote is refused')
  t.ok(vote.headers['hx-redirect'], 'with HX-Redirect to the login')
  t.equal(await count(app, 'votes'), 0, 'and not written')
  t.notMatch((await carol.get('/polls/')).body, /carol/, 'pages show her signed out')
  t.same(serverErrors, [])
})
