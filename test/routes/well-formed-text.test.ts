import t from 'tap'
import { APP_URL, TestBrowser, addQuestion, buildTestApp, startTestProvider } from '../helpers/app.ts'
import { defaultDevUsers } from '../../src/oidc/dev-users.ts'
import { checkText } from '../../src/routes/admin/forms.ts'
import { cleanSearch } from '../../src/routes/admin/question-views.ts'
import { adminSession, count } from './admin/helpers.ts'

const LONE = '\ud800'

t.test('form routes take web forms only: a JSON body (which can carry lone surrogates) gets a 415 and writes nothing', async (t) => {
  const { app, alice, token, serverErrors } = await adminSession(t)
  const json = (url: string, body: unknown, browser: TestBrowser, csrf: string) => app.inject({
    method: 'POST',
    url,
    headers: { cookie: browser.jar.header(new URL(APP_URL)), 'content-type': 'application/json', 'x-csrf-token': csrf, accept: 'text/html' },
    // Escaped as JSON.stringify would not: the lone surrogate travels as \ud800.
    payload: `{"question_text":"Broken ${'\\ud800'} text","pub_date":"2026-01-01T10:00","_csrf":"${csrf}"}`
  })
  const added = await json('/admin/questions/', null, alice, token)
  t.equal(added.statusCode, 415, 'the admin form refuses JSON')
  t.match(added.body, /web forms only[\s\S]*nothing was changed/, 'with a message on the page')
  t.equal(await count(app, 'questions'), 0, 'no question written')

  const q = await addQuestion(app, 'JSON?', -1)
  const carol = new TestBrowser(app)
  await carol.login('carol')
  const carolToken = await carol.csrfToken(`/polls/${q.id}/`)
  const vote = await app.inject({
    method: 'POST',
    url: `/polls/${q.id}/vote/`,
    headers: { cookie: carol.jar.header(new URL(APP_URL)), 'content-type': 'application/json', 'x-csrf-token': carolToken, 'hx-request': 'true' },
    payload: JSON.stringify({ choice: q.choices[0]?.id })
  })
  t.equal(vote.statusCode, 415, 'so does voting')
  t.equal(await count(app, 'votes'), 0, 'no vote written')
  const plain = await carol.post(`/polls/${q.id}/vote/`, { choice: String(q.choices[0]?.id), _csrf: carolToken })
  t.equal(plain.status, 303, 'the same vote as a web form is taken')
  t.same(serverErrors, [])
})

t.test('text checks refuse or clean what is not well-formed Unicode', async (t) => {
  t.match(checkText(`Broken ${LONE} text`, 'Question text').error, /Question text is not well-formed/)
  t.equal(checkText('Fine 😀 text', 'Question text').error, undefined, 'a whole surrogate pair is fine')
  t.ok(cleanSearch(`ab${LONE}c`).isWellFormed(), 'a search is cleaned')
})

t.test('provider claims that are not well-formed Unicode are stored well-formed', async (t) => {
  const users = defaultDevUsers()
  // 199 letters and an emoji: cutting at 200 UTF-16 units splits the emoji's surrogate pair.
  users.push({ sub: 'dev-eve', username: `${'e'.repeat(199)}😀`, email: 'eve@example.com', givenName: `Eve${LONE}`, familyName: `${LONE}`, roles: ['user'] })
  const provider = await startTestProvider(t, { users })
  const { app, serverErrors } = await buildTestApp(t, { provider })
  const eve = new TestBrowser(app)
  const home = await eve.login(`${'e'.repeat(199)}😀`)
  t.equal(home.status, 200)
  const row = app.db.$client.prepare('select username, first_name, last_name from users where sub = ?').get('dev-eve') as { username: string, first_name: string, last_name: string }
  t.ok(row.username.isWellFormed() && row.first_name.isWellFormed() && row.last_name.isWellFormed(), 'what is read back is well-formed')
  t.equal(row.username.length, 200, 'the name keeps its length (the split half is replaced, not tripled)')
  t.equal(row.first_name, 'Eve\ufffd', 'a lone surrogate becomes U+FFFD')
  t.same(serverErrors, [])
})
