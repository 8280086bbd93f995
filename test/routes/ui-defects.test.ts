// Defects found by trying every journey as a new user (issue 15), each pinned by a test that failed on it.
import t from 'tap'
import { addQuestion, TestBrowser } from '../helpers/app.ts'
import { adminSession } from './admin/helpers.ts'

const occurrences = (body: string, text: string) => body.split(text).length - 1

t.test('an admin notice shows once, above the table, never copied into its rows', async (t) => {
  const { app, alice, hx, serverErrors } = await adminSession(t)
  for (const text of ['First?', 'Second?', 'Third?']) await addQuestion(app, text, -1, ['A'])

  const none = await alice.post('/admin/questions/delete/', {}, hx)
  t.equal(none.status, 422)
  t.equal(occurrences(none.body, 'Items must be selected'), 1, 'the "nothing selected" notice once, not once per row')

  const doomed = await addQuestion(app, 'Doomed?', -1, ['A'])
  const deleted = await alice.post(`/admin/questions/${doomed.id}/delete/`, {}, hx)
  t.equal(occurrences(deleted.body, 'was deleted successfully'), 1, 'the delete notice once')
  t.equal(occurrences(deleted.body, 'class="notice inline"'), 0, 'no row carries a notice')

  const added = await alice.post('/admin/questions/', { question_text: 'Fourth?', pub_date: '2026-01-01T10:00', choice: ['X', 'Y'] }, hx)
  t.equal(added.status, 200)
  t.equal(occurrences(added.body, 'was added successfully'), 1, 'the add notice once')
  const panel = /<details id="question-add"[\s\S]*?<\/details>/.exec(added.body)?.[0] ?? ''
  t.match(panel, /<details id="question-add" class="panel">/, 'the Add panel comes back closed')
  t.notMatch(panel, 'added successfully', 'and without the old success message inside it')
  t.same(serverErrors, [])
})

t.test('a vote on a question deleted meanwhile: the in-place error offers the way to the polls', async (t) => {
  const { app, alice, hx, serverErrors } = await adminSession(t)
  const q = await addQuestion(app, 'Going away?', -1, ['Yes'])
  const carol = new TestBrowser(app)
  await carol.login('carol')
  const token = await carol.csrfToken(`/polls/${q.id}/`)
  await alice.post(`/admin/questions/${q.id}/delete/`, {}, hx)
  const res = await carol.post(`/polls/${q.id}/vote/`, { choice: String(q.choices[0]?.id) }, { 'hx-request': 'true', 'x-csrf-token': token })
  t.equal(res.status, 404)
  t.equal(res.headers['hx-retarget'], '#alerts', 'shown in the page\'s alert area')
  t.match(res.body, /<a href="\/polls\/">See the latest polls<\/a>/, 'with a link on')
  t.notMatch(res.body, 'Check the address', 'not advice about an address nobody typed')
  t.same(serverErrors, [])
})
