// Edge cases found in review: odd input, stale rows under htmx, views kept across actions.
import t from 'tap'
import { addQuestion } from '../../helpers/app.ts'
import { eachDatabase, sqlRows } from '../../helpers/databases.ts'
import { adminSession, count, rowTitles } from './helpers.ts'

eachDatabase('control characters are refused beside the field (422), never a 500', async (t, db) => {
  const { app, alice, hx, serverErrors } = await adminSession(t, db)
  const q = await addQuestion(app, 'Clean?', -1, ['A'])
  const add = await alice.post('/admin/questions/', { question_text: 'Bad\u0000text', pub_date: '2026-01-01T00:00', choice: ['ok', 'x\u0000'] }, hx)
  t.equal(add.status, 422)
  t.match(add.body, /must not contain control characters/)
  const edit = await alice.post(`/admin/questions/${q.id}/?view=row`, { question_text: 'Tab\there', pub_date: '2026-01-01T00:00', version: '1' }, hx)
  t.equal(edit.status, 422)
  const choice = await alice.post(`/admin/questions/${q.id}/choices/`, { choice_text: 'nul\u0000' }, hx)
  t.equal(choice.status, 422)
  t.equal((await alice.get('/admin/questions/?q=ab%00cd', hx)).status, 200, 'a search with a NUL still answers')
  t.equal(await count(app, 'questions'), 1)
  t.same(serverErrors, [])
})

eachDatabase('a blank version is a 422 (missing), not a 409 (conflict)', async (t, db) => {
  const { app, alice, hx } = await adminSession(t, db)
  const q = await addQuestion(app, 'Versioned?', -1)
  const res = await alice.post(`/admin/questions/${q.id}/?view=row`, { question_text: 'X', pub_date: '2026-01-01T00:00', version: '' }, hx)
  t.equal(res.status, 422)
  t.match(res.body, /missing its version/)
})

eachDatabase('htmx errors go to the alert area, not into the row or table that asked', async (t, db) => {
  const { app, alice, hx } = await adminSession(t, db)
  const q = await addQuestion(app, 'Gone soon?', -1)
  await alice.post(`/admin/questions/${q.id}/delete/`, {}, hx)
  for (const [method, path] of [['POST', `/admin/questions/${q.id}/delete/`], ['GET', `/admin/questions/${q.id}/edit`], ['GET', `/admin/choices/999/edit`]] as const) {
    const res = await alice.request(method, path, { headers: hx, form: method === 'POST' ? {} : undefined })
    t.equal(res.status, 404, `${method} ${path} → 404`)
    t.equal(res.headers['hx-retarget'], '#alerts')
    t.equal(res.headers['hx-reswap'], 'innerHTML')
  }
  const page = await alice.get('/admin/questions/')
  t.match(page.body, /<div id="alerts" class="alerts" aria-live="assertive"><\/div>/, 'every page has the alert area')
})

eachDatabase('adding a question keeps the table view the admin is on', async (t, db) => {
  const { app, alice, hx } = await adminSession(t, db)
  await addQuestion(app, 'Banana split?', -2)
  await addQuestion(app, 'Cherry pie?', -1)
  const res = await alice.post('/admin/questions/', { question_text: 'Banana bread?', pub_date: '2026-01-01T00:00' }, { ...hx, 'hx-current-url': 'http://polls.test/admin/questions/?q=banana&o=text' })
  t.same(rowTitles(res.body), ['Banana bread?', 'Banana split?'], 'still searching "banana", sorted by text')
})

eachDatabase('a broad non-ASCII search counts and pages the same rows', async (t, db) => {
  const { app, alice, hx } = await adminSession(t, db)
  for (let i = 0; i < 2600; i += 100) {
    const batch = Array.from({ length: 100 }, (_, j) => [`Été ${i + j}`, new Date(Date.now() - (i + j) * 1000)])
    await sqlRows(app, `insert into questions (question_text, pub_date) values ${batch.map(() => '(?, ?)').join(', ')}`, batch.flat())
  }
  const lower = await alice.get('/admin/questions/?q=%C3%A9t%C3%A9', hx)
  t.match(lower.body, '2600 questions')
  t.equal(rowTitles(lower.body).length, 50, 'and the page has its rows')
  const upper = await alice.get('/admin/questions/?q=%C3%89T%C3%89', hx)
  t.match(upper.body, '2600 questions', 'any case')
  t.equal(rowTitles(upper.body).length, 50)
  for (const two of ['%C3%A9t', '%C3%89T', 'T%C3%89']) {
    const res = await alice.get(`/admin/questions/?q=${two}&o=text&page=52`, hx)
    t.match(res.body, '2600 questions', `two characters (${decodeURIComponent(two)}), any case`)
    t.same(rowTitles(res.body), Array.from({ length: 50 }, (_, i) => `Été ${[...Array(2600).keys()].map(String).sort()[2550 + i]}`), 'the last page, sorted by text')
  }
})

eachDatabase('a question\'s delete page is a plain form; users past 50 are reachable', async (t, db) => {
  const { app, alice } = await adminSession(t, db)
  const q = await addQuestion(app, 'Plain delete?', -1)
  const confirm = await alice.get(`/admin/questions/${q.id}/delete/`)
  t.match(confirm.body, new RegExp(`<form method="post" action="/admin/questions/${q.id}/delete/">`))
  t.notMatch(confirm.body, /hx-post/)

  for (let i = 0; i < 60; i++) await sqlRows(app, "insert into users (sub, username, role, date_joined) values (?, ?, 'user', ?)", [`extra-${i}`, `extra${String(i).padStart(2, '0')}`, new Date()])
  const users = await alice.get('/admin/users/?q=extra')
  t.match(users.body, '60 users')
  t.match(users.body, /href="\/admin\/users\/\?q=extra&amp;page=2"[^>]*rel="next"/)
  t.match((await alice.get('/admin/users/?q=extra&page=2')).body, /extra59/)
})
