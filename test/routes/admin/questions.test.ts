import t from 'tap'
import { addQuestion, TestBrowser } from '../../helpers/app.ts'
import { eachDatabase, sqlRows, sqlRow, sqlValue } from '../../helpers/databases.ts'
import { adminSession, count, rowTitles } from './helpers.ts'

eachDatabase('adding a question with choices', async (t, db) => {
  const { app, alice, hx, serverErrors } = await adminSession(t, db)
  const page = await alice.get('/admin/questions/')
  t.match(page.body, /<label for="add-question-text">Question text<\/label>/)
  t.match(page.body, /<label for="add-pub-date">Date published<\/label>/)
  t.equal([...page.body.matchAll(/name="choice"/g)].length, 3, 'three empty choice rows')

  const invalid: Array<[Record<string, string | string[]>, RegExp]> = [
    [{ question_text: '', pub_date: '2026-01-01T10:00' }, /Question text is required/],
    [{ question_text: 'x'.repeat(201), pub_date: '2026-01-01T10:00' }, /at most 200 characters/],
    [{ question_text: 'Fine?', pub_date: '2026-02-30T10:00' }, /Enter a valid date and time/],
    [{ question_text: 'Fine?', pub_date: 'yesterday' }, /Enter a valid date and time/],
    [{ question_text: 'Fine?', pub_date: '' }, /Date published is required/],
    [{ question_text: 'Fine?', pub_date: '2026-01-01T10:00', choice: ['ok', 'y'.repeat(201)] }, /Choice text must be at most 200/]
  ]
  for (const [form, message] of invalid) {
    const res = await alice.post('/admin/questions/', form, hx)
    t.equal(res.status, 422, `${JSON.stringify(form).slice(0, 60)} → 422`)
    t.match(res.body, message)
    t.match(res.body, /aria-invalid="true"/, 'the field is marked')
    const plain = await alice.post('/admin/questions/', { ...form, _csrf: hx['x-csrf-token'] ?? '' })
    t.equal(plain.status, 422, 'the same without htmx')
    t.match(plain.body, message)
  }
  t.equal(await count(app, 'questions'), 0, 'nothing saved')
  t.equal(await count(app, 'admin_log'), 0, 'nothing logged')

  const added = await alice.post('/admin/questions/', { question_text: '  What <b>now</b>?  ', pub_date: '2026-03-04T05:06', choice: ['Red', '', 'Blue', '  '] }, hx)
  t.equal(added.status, 200)
  t.match(added.body, 'The question “What &lt;b&gt;now&lt;/b&gt;?” was added successfully.')
  t.match(added.body, /<div id="questions-table" class="admin-table"[^>]* hx-swap-oob="true">/, 'the table comes along out of band')
  t.same(rowTitles(added.body), ['What &lt;b&gt;now&lt;/b&gt;?'], 'with the new row')
  const q = await sqlRow<{ id: number, question_text: string, pub_date: number, choice_count: number }>(app, 'select * from questions')
  if (q === undefined) throw new Error('no question')
  t.equal(q.question_text, 'What <b>now</b>?', 'trimmed, stored as typed')
  t.equal(new Date(q.pub_date).toISOString(), '2026-03-04T05:06:00.000Z', 'date read as UTC')
  t.same((await app.admin.choices.choicesOfQuestion(q.id)).map((c) => c.choiceText), ['Red', 'Blue'], 'empty choice rows ignored')
  t.equal(q.choice_count, 2)

  const plain = await alice.post('/admin/questions/', { question_text: 'Plain?', pub_date: '2026-03-04T05:06', _csrf: hx['x-csrf-token'] ?? '' })
  t.equal(plain.status, 303, 'without JavaScript: post/redirect/get')
  const list = await alice.follow(plain)
  t.match(list.body, 'The question “Plain?” was added successfully.')
  t.same(serverErrors, [])
})

eachDatabase('inline edit of a row: save, validation, cancel, stale edit', async (t, db) => {
  const { app, alice, hx, serverErrors } = await adminSession(t, db)
  const q = await addQuestion(app, 'Original?', -1, ['A'])
  const edit = await alice.get(`/admin/questions/${q.id}/edit`, hx)
  t.match(edit.body, new RegExp(`<tr id="question-row-${q.id}" class="editing">`))
  t.match(edit.body, 'name="version" value="1"')
  t.match(edit.body, 'value="Original?"')

  const bad = await alice.post(`/admin/questions/${q.id}/?view=row`, { question_text: '', pub_date: '2026-01-01T00:00', version: '1' }, hx)
  t.equal(bad.status, 422)
  t.match(bad.body, /Question text is required/)
  t.match(bad.body, /class="editing"/, 'still the edit row')

  const saved = await alice.post(`/admin/questions/${q.id}/?view=row`, { question_text: 'Changed?', pub_date: '2026-01-01T00:00', version: '1' }, hx)
  t.equal(saved.status, 200)
  t.match(saved.body, new RegExp(`<tr id="question-row-${q.id}">`))
  t.match(saved.body, 'Changed?')
  t.notMatch(saved.body, /class="editing"/, 'back to the view row')

  const cancel = await alice.get(`/admin/questions/${q.id}/row`, hx)
  t.match(cancel.body, 'Changed?')

  // Someone else saved in between: the first admin's save from version 1 is refused, not applied.
  const stale = await alice.post(`/admin/questions/${q.id}/?view=row`, { question_text: 'Overwrite?', pub_date: '2026-01-01T00:00', version: '1' }, hx)
  t.equal(stale.status, 409)
  t.match(stale.body, /Someone else changed this question since you started editing/)
  t.match(stale.body, /It now reads “Changed\?”/)
  t.match(stale.body, 'value="Overwrite?"', 'what the admin typed is kept')
  t.match(stale.body, 'name="version" value="2"', 'a second save is a deliberate overwrite')
  t.equal((await app.admin.questions.questionById(q.id))?.questionText, 'Changed?', 'not overwritten')
  const plainStale = await alice.post(`/admin/questions/${q.id}/`, { question_text: 'Overwrite?', pub_date: '2026-01-01T00:00', version: '1', _csrf: hx['x-csrf-token'] ?? '' })
  t.equal(plainStale.status, 409, 'the change page refuses too')

  const again = await alice.post(`/admin/questions/${q.id}/?view=row`, { question_text: 'Overwrite?', pub_date: '2026-01-01T00:00', version: '2' }, hx)
  t.equal(again.status, 200)
  t.equal((await app.admin.questions.questionById(q.id))?.version, 3)

  const missingVersion = await alice.post(`/admin/questions/${q.id}/?view=row`, { question_text: 'X', pub_date: '2026-01-01T00:00' }, hx)
  t.equal(missingVersion.status, 422)
  t.equal((await alice.post('/admin/questions/999999/?view=row', { question_text: 'X', pub_date: '2026-01-01T00:00', version: '1' }, hx)).status, 404)
  t.same(serverErrors, [])
})

eachDatabase('concurrent saves from the same version: exactly one wins', async (t, db) => {
  const { app, alice, hx } = await adminSession(t, db)
  const q = await addQuestion(app, 'Race?', -1)
  const results = await Promise.all(Array.from({ length: 10 }, (_, i) =>
    alice.post(`/admin/questions/${q.id}/?view=row`, { question_text: `Writer ${i}`, pub_date: '2026-01-01T00:00', version: '1' }, hx)))
  t.equal(results.filter((r) => r.status === 200).length, 1, 'one save applied')
  t.equal(results.filter((r) => r.status === 409).length, 9, 'the others refused')
  t.equal((await app.admin.questions.questionById(q.id))?.version, 2)
})

eachDatabase('choices edited in place; deleting one with votes says so and cascades', async (t, db) => {
  const { app, alice, hx, serverErrors } = await adminSession(t, db)
  const q = await addQuestion(app, 'Colour?', -1, ['Red', 'Blue'])
  const [red, blue] = q.choices
  const carol = new TestBrowser(app)
  await carol.login('carol')
  const token = await carol.csrfToken(`/polls/${q.id}/`)
  await carol.post(`/polls/${q.id}/vote/`, { choice: String(red?.id) }, { 'hx-request': 'true', 'x-csrf-token': token })

  const page = await alice.get(`/admin/questions/${q.id}/`)
  t.match(page.body, /Red<\/span>\s*<span class="muted">1 vote<\/span>/, 'votes shown read-only')
  t.match(page.body, /hx-confirm="Delete the choice “Red” and its 1 vote\?"/, 'the confirmation says how many votes go')
  const confirmPage = await alice.get(`/admin/choices/${red?.id}/delete/`)
  t.match(confirmPage.body, /also deletes its 1 vote/)

  const add = await alice.post(`/admin/questions/${q.id}/choices/`, { choice_text: 'Green' }, hx)
  t.match(add.body, 'The choice “Green” was added.')
  t.match(add.body, /Green<\/span>/)
  const empty = await alice.post(`/admin/questions/${q.id}/choices/`, { choice_text: '  ' }, hx)
  t.equal(empty.status, 422)
  t.match(empty.body, /Choice text is required/)

  const edited = await alice.post(`/admin/choices/${blue?.id}/`, { choice_text: 'Navy' }, hx)
  t.match(edited.body, new RegExp(`<li id="choice-${blue?.id}" class="choice-item">`))
  t.match(edited.body, 'Navy')
  const tooLong = await alice.post(`/admin/choices/${blue?.id}/`, { choice_text: 'z'.repeat(201) }, hx)
  t.equal(tooLong.status, 422)
  t.match(tooLong.body, /at most 200/)

  const deleted = await alice.post(`/admin/choices/${red?.id}/delete/`, {}, hx)
  t.match(deleted.body, 'The choice “Red” was deleted, with 1 vote.')
  t.equal(await count(app, 'votes'), 0, 'its vote went with it')
  t.equal((await app.admin.questions.questionById(q.id))?.voteCount, 0, 'and the question total follows')
  t.equal((await app.admin.questions.questionById(q.id))?.choiceCount, 2)
  t.equal((await alice.post(`/admin/choices/${red?.id}/delete/`, {}, hx)).status, 404, 'deleting twice → 404')
  t.same(serverErrors, [])
})

eachDatabase('deleting a question asks first, says what goes, and cascades', async (t, db) => {
  const { app, alice, hx, serverErrors } = await adminSession(t, db)
  const q = await addQuestion(app, 'Doomed?', -1, ['A', 'B'])
  const keep = await addQuestion(app, 'Kept?', -1, ['C'])
  const bob = new TestBrowser(app)
  await bob.login('bob')
  await bob.post(`/polls/${q.id}/vote/`, { choice: String(q.choices[0]?.id) }, { 'hx-request': 'true', 'x-csrf-token': await bob.csrfToken(`/polls/${q.id}/`) })

  const list = await alice.get('/admin/questions/')
  t.match(list.body, /hx-confirm="Delete “Doomed\?” with its 2 choices and 1 vote\?"/)
  const confirm = await alice.get(`/admin/questions/${q.id}/delete/`)
  t.match(confirm.body, /Are you sure\?/)
  t.match(confirm.body, /also deletes\s+2 choices and 1 vote/)

  const res = await alice.post(`/admin/questions/${q.id}/delete/`, {}, { ...hx, 'hx-current-url': 'http://polls.test/admin/questions/?q=e' })
  t.equal(res.status, 200)
  t.match(res.body, 'The question “Doomed?” was deleted successfully, with 2 choices and 1 vote.')
  t.same(rowTitles(res.body), ['Kept?'], 'the table comes back for the view the admin was on')
  t.equal(await count(app, 'choices'), 1)
  t.equal(await count(app, 'votes'), 0)
  t.ok(await app.admin.questions.questionById(keep.id))
  t.same(serverErrors, [])
})

eachDatabase('bulk delete: confirm listing the questions, then delete', async (t, db) => {
  const { app, alice, hx, serverErrors } = await adminSession(t, db)
  const a = await addQuestion(app, 'Bulk A?', -3, ['1', '2'])
  const b = await addQuestion(app, 'Bulk B?', -2, ['3'])
  const c = await addQuestion(app, 'Bulk C?', -1, ['4'])

  const none = await alice.post('/admin/questions/delete/', {}, hx)
  t.equal(none.status, 422)
  t.match(none.body, /Items must be selected in order to perform actions on them/)
  t.equal((await alice.post('/admin/questions/delete/', { ids: ['1', 'x'] }, hx)).status, 400, 'a malformed selection is refused')

  const confirm = await alice.post('/admin/questions/delete/', { ids: [String(a.id), String(c.id)], back: '/admin/questions/?o=text' }, hx)
  t.equal(confirm.status, 200)
  t.match(confirm.body, /Are you sure\?/)
  t.match(confirm.body, 'Bulk A?')
  t.match(confirm.body, 'Bulk C?')
  t.notMatch(confirm.body, 'Bulk B?')
  t.match(confirm.body, /also deletes\s+3 choices and 0 votes/)
  t.equal(await count(app, 'questions'), 3, 'nothing deleted before the confirmation')

  const done = await alice.post('/admin/questions/delete/', { ids: [String(a.id), String(c.id)], confirm: 'yes', back: '/admin/questions/?o=text' }, hx)
  t.match(done.body, 'Successfully deleted 2 questions (with 0 votes).')
  t.same(rowTitles(done.body), ['Bulk B?'])
  t.equal(await count(app, 'choices'), 1, 'their choices cascaded')
  t.ok(await app.admin.questions.questionById(b.id))

  const plain = await alice.post('/admin/questions/delete/', { ids: String(b.id), confirm: 'yes', back: '//evil.example/', _csrf: hx['x-csrf-token'] ?? '' })
  t.equal(plain.status, 303)
  t.equal(plain.headers.location, '/admin/questions/', 'back only ever leads to our own list')
  t.same(serverErrors, [])
})
