import t from 'tap'
import { APP_URL, TestBrowser, addQuestion } from '../../helpers/app.ts'
import { adminSession, count } from './helpers.ts'

t.test('only admins reach /admin/ and everything under it', async (t) => {
  const { app, serverErrors } = await adminSession(t)
  const q = await addQuestion(app, 'Admin only?', -1, ['A'])
  const choiceId = q.choices[0]?.id
  const gets = ['/admin/', '/admin/questions/', `/admin/questions/${q.id}/`, `/admin/questions/${q.id}/edit`, `/admin/questions/${q.id}/row`,
    `/admin/questions/${q.id}/delete/`, `/admin/questions/${q.id}/history/`, `/admin/choices/${choiceId}/edit`, `/admin/choices/${choiceId}/delete/`, '/admin/users/']
  const posts: Array<[string, Record<string, string>]> = [
    ['/admin/questions/', { question_text: 'X', pub_date: '2026-01-01T00:00' }],
    [`/admin/questions/${q.id}/`, { question_text: 'X', pub_date: '2026-01-01T00:00', version: '1' }],
    [`/admin/questions/${q.id}/delete/`, {}],
    ['/admin/questions/delete/', { ids: String(q.id), confirm: 'yes' }],
    [`/admin/questions/${q.id}/choices/`, { choice_text: 'new' }],
    [`/admin/choices/${choiceId}/`, { choice_text: 'changed' }],
    [`/admin/choices/${choiceId}/delete/`, {}],
    ['/admin/users/1/active', { active: '0', confirm: 'yes' }]
  ]
  const before = { questions: await count(app, 'questions'), choices: await count(app, 'choices'), log: await count(app, 'admin_log') }

  for (const who of ['carol', 'bob']) {
    const browser = new TestBrowser(app)
    await browser.login(who)
    const token = await browser.csrfToken('/')
    for (const path of gets) {
      const res = await browser.get(path)
      t.equal(res.status, 403, `GET ${path} as ${who} → 403`)
      t.match(res.body, /needs the admin role/)
    }
    for (const [path, form] of posts) {
      t.equal((await browser.post(path, { ...form, _csrf: token })).status, 403, `POST ${path} as ${who} → 403`)
    }
  }

  const anonymous = new TestBrowser(app)
  for (const path of gets) {
    const res = await anonymous.get(path)
    t.equal(res.status, 302, `GET ${path} anonymous → login`)
    t.equal(new URL(String(res.headers.location), APP_URL).pathname, '/oidc/authenticate/')
    const hx = await anonymous.get(path, { 'hx-request': 'true' })
    t.equal(hx.status, 401)
    t.equal(hx.headers['hx-redirect'], `/oidc/authenticate/?next=${encodeURIComponent(path)}`, `htmx GET ${path} anonymous → HX-Redirect`)
  }
  for (const [path, form] of posts) {
    const res = await anonymous.post(path, form, { 'hx-request': 'true' })
    t.equal(res.status, 401, `POST ${path} anonymous → 401`)
    t.match(String(res.headers['hx-redirect']), /^\/oidc\/authenticate\//)
  }
  t.same({ questions: await count(app, 'questions'), choices: await count(app, 'choices'), log: await count(app, 'admin_log') }, before, 'nothing changed')
  t.same(serverErrors, [])
})

t.test('admin state changes need the CSRF token', async (t) => {
  const { app, alice, serverErrors } = await adminSession(t)
  const q = await addQuestion(app, 'Guarded?', -1, ['A'])
  const before = { questions: await count(app, 'questions'), choices: await count(app, 'choices'), log: await count(app, 'admin_log') }
  const attempts: Array<[string, Record<string, string>]> = [
    ['/admin/questions/', { question_text: 'X', pub_date: '2026-01-01T00:00' }],
    [`/admin/questions/${q.id}/`, { question_text: 'X', pub_date: '2026-01-01T00:00', version: '1' }],
    [`/admin/questions/${q.id}/delete/`, {}],
    ['/admin/questions/delete/', { ids: String(q.id), confirm: 'yes' }],
    [`/admin/questions/${q.id}/choices/`, { choice_text: 'new' }],
    [`/admin/choices/${q.choices[0]?.id}/delete/`, {}],
    ['/admin/users/2/active', { active: '0', confirm: 'yes' }]
  ]
  for (const [path, form] of attempts) {
    t.equal((await alice.post(path, form)).status, 403, `POST ${path} without a token → 403`)
    t.equal((await alice.post(path, { ...form, _csrf: 'forged' }, { 'hx-request': 'true' })).status, 403, `POST ${path} with a forged token → 403`)
  }
  t.same({ questions: await count(app, 'questions'), choices: await count(app, 'choices'), log: await count(app, 'admin_log') }, before, 'nothing changed')
  t.same(serverErrors, [])
})
