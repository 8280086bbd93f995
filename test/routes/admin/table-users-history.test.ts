import t from 'tap'
import { createQuestion } from '../../../src/db/seed.ts'
import { seedBulk } from '../../../src/db/bulk-seed.ts'
import { dateFilterRange } from '../../../src/db/admin-questions.ts'
import { APP_URL, TestBrowser, addQuestion } from '../../helpers/app.ts'
import { eachDatabase, sqlRows, sqlRow, sqlValue } from '../../helpers/databases.ts'
import { adminSession, count, rowTitles } from './helpers.ts'

const DAY = 24 * 60 * 60 * 1000

eachDatabase('search, date filter, sort and pages', async (t, db) => {
  const { app, alice, hx, serverErrors } = await adminSession(t, db)
  const now = Date.now()
  // 120 questions: "Cats 000"…; every third mentions dogs; dates spread over 400 days back.
  for (let i = 0; i < 120; i++) {
    await app.store.createQuestion({
      questionText: `${i % 3 === 0 ? 'Dogs' : 'Cats'} ${String(i).padStart(3, '0')}`,
      pubDate: new Date(now - i * 3.4 * DAY),
      choices: Array.from({ length: (i % 4) + 1 }, (_, k) => `c${k}`)
    })
  }
  const page1 = await alice.get('/admin/questions/')
  t.match(page1.body, '120 questions')
  t.equal(rowTitles(page1.body).length, 50, '50 a page')
  t.equal(rowTitles(page1.body)[0], 'Dogs 000', 'newest first by default')
  t.match(page1.body, 'Page 1 of 3')

  const page3 = await alice.get('/admin/questions/?page=3', hx)
  t.notMatch(page3.body, /<html/, 'htmx gets the table only')
  t.equal(rowTitles(page3.body).length, 20)
  t.equal(rowTitles(page3.body)[19], 'Cats 119')
  t.equal(rowTitles((await alice.get('/admin/questions/?page=99')).body).length, 20, 'a page past the end shows the last')

  const dogs = await alice.get('/admin/questions/?q=dog', hx)
  t.match(dogs.body, '40 questions', 'search is case-insensitive and matches part of the text')
  t.ok(rowTitles(dogs.body).every((title) => title.startsWith('Dogs')))
  t.match(dogs.body, 'href="/admin/questions/?q=dog&amp;o=text"', 'sort links keep the search')
  t.match((await alice.get('/admin/questions/?q=%25', hx)).body, '0 questions', '% is literal, not a wildcard')
  t.match((await alice.get('/admin/questions/?q=OGS%200', hx)).body, '34 questions', 'the indexed search matches inside words, any case')
  t.match((await alice.get('/admin/questions/?q=%22dogs%20OR%20cats%22', hx)).body, '0 questions', 'search text is never read as query syntax')
  t.match((await alice.get('/admin/questions/?q=OG', hx)).body, '40 questions', 'two characters: indexed too, any case')
  t.match((await alice.get('/admin/questions/?q=D', hx)).body, '40 questions', 'one character')
  t.match((await alice.get('/admin/questions/?q=%22', hx)).body, '0 questions', 'a lone quote is text too')

  const byText = await alice.get('/admin/questions/?o=text', hx)
  t.equal(rowTitles(byText.body)[0], 'Cats 001')
  t.match(byText.body, 'aria-sort="ascending"')
  const byTextDesc = await alice.get('/admin/questions/?o=-text', hx)
  t.equal(rowTitles(byTextDesc.body)[0], 'Dogs 117')
  const byChoices = await alice.get('/admin/questions/?o=-choices', hx)
  t.equal(rowTitles(byChoices.body)[0], 'Cats 119', 'most choices first (4), ties by id in the same direction')

  const today = await alice.get('/admin/questions/?date=today', hx)
  t.same(rowTitles(today.body), ['Dogs 000'])
  const week = await alice.get('/admin/questions/?date=7d', hx)
  t.same(rowTitles(week.body), ['Dogs 000', 'Cats 001', 'Cats 002'])
  const range = dateFilterRange('year', new Date(now))
  const inYear = { n: await sqlValue(app, 'select count(*) as n from questions where pub_date >= ? and pub_date < ?', [range?.from, range?.until]) }
  t.match((await alice.get('/admin/questions/?date=year', hx)).body, `${inYear.n} question${inYear.n === 1 ? '' : 's'}`)
  t.match((await alice.get('/admin/questions/?date=year&q=dogs&o=votes&page=1', hx)).body, /questions?</, 'filters combine')

  await addQuestion(app, 'Future question', 30)
  t.same(rowTitles((await alice.get('/admin/questions/?date=today', hx)).body), ['Dogs 000'], 'the date filter ends today, like Django\'s')

  for (const bad of ['?o=password', '?date=century', '?page=0', '?page=abc', `?q=${'x'.repeat(201)}`]) {
    const res = await alice.get(`/admin/questions/${bad}`)
    t.equal(res.status, 400, `${bad.slice(0, 20)} → 400`)
  }
  t.same(serverErrors, [])
})

eachDatabase('users: list, search, role filter; deactivation ends open sessions', async (t, db) => {
  const { app, alice, hx, serverErrors } = await adminSession(t, db)
  const carol = new TestBrowser(app)
  await carol.login('carol')
  const bob = new TestBrowser(app)
  await bob.login('bob')

  const list = await alice.get('/admin/users/')
  t.match(list.body, '3 users')
  for (const text of ['alice', 'Carol Clark', 'carol@example.com', 'role-staff', 'Last login', 'Joined']) t.match(list.body, text)
  t.match(list.body, /roles come from the identity provider/, 'says where roles are changed')
  t.match((await alice.get('/admin/users/?q=CLARK', hx)).body, '1 user<')
  t.match((await alice.get('/admin/users/?role=staff', hx)).body, /1 user<[\s\S]*bob/)

  const carolId = (await app.users.userBySub('dev-carol'))?.id ?? 0
  const asked = await alice.post(`/admin/users/${carolId}/active`, { active: '0' }, hx)
  t.equal(asked.status, 200)
  t.match(asked.body, /Deactivate carol\?/, 'deactivating asks first, in the row')
  t.match(asked.body, /<tr id="user-row-\d+"/)
  t.match(asked.body, 'name="confirm" value="yes"')
  t.ok((await app.users.userBySub('dev-carol'))?.isActive, 'and changes nothing until confirmed')
  const plainAsk = await alice.post(`/admin/users/${carolId}/active`, { active: '0', _csrf: hx['x-csrf-token'] ?? '' })
  t.equal(plainAsk.status, 200)
  t.match(plainAsk.body, /<h1[^>]*>Deactivate carol\?<\/h1>/, 'without JavaScript: a confirmation page')
  t.ok((await app.users.userBySub('dev-carol'))?.isActive)
  const deactivated = await alice.post(`/admin/users/${carolId}/active`, { active: '0', confirm: 'yes' }, hx)
  t.equal(deactivated.status, 200)
  t.match(deactivated.body, 'carol was deactivated.')
  t.match(deactivated.body, 'Reactivate')

  const next = await carol.get('/polls/1/')
  t.equal(next.status, 302, 'carol\'s open session stops at her next request')
  const nextHx = await carol.get('/user', hx)
  t.match(nextHx.body, /You are not signed in/)
  const again = await carol.login('carol')
  t.equal(again.status, 403, 'and she cannot log in')
  t.match(again.body, /deactivated/)

  const self = await alice.post(`/admin/users/${(await app.users.userBySub('dev-alice'))?.id}/active`, { active: '0', confirm: 'yes' }, hx)
  t.equal(self.status, 422, 'an admin cannot deactivate themself')
  t.match(self.body, /cannot deactivate your own account/)
  t.notMatch(list.body, new RegExp(`action="/admin/users/${(await app.users.userBySub('dev-alice'))?.id}/active"`), 'no button for yourself')

  await alice.post(`/admin/users/${carolId}/active`, { active: '1' }, hx)
  const back = await carol.login('carol', '/user')
  t.equal(back.url, `${APP_URL}/user`, 'reactivated: she can log in again')
  t.equal((await alice.post('/admin/users/999/active', { active: '0' }, hx)).status, 404)
  t.equal((await alice.post('/admin/users/999/active', { active: '0', confirm: 'yes' }, hx)).status, 404)
  t.equal((await alice.post(`/admin/users/${carolId}/active`, { active: 'maybe' }, hx)).status, 400)
  t.same(serverErrors, [])
})

eachDatabase('history: every change is recorded and shown', async (t, db) => {
  const { app, alice, hx, serverErrors } = await adminSession(t, db)
  await alice.post('/admin/questions/', { question_text: 'Logged?', pub_date: '2026-01-01T00:00', choice: ['Yes'] }, hx)
  const id = await sqlValue(app, 'select id from questions')
  await alice.post(`/admin/questions/${id}/?view=row`, { question_text: 'Logged again?', pub_date: '2026-01-01T00:00', version: '1' }, hx)
  await alice.post(`/admin/questions/${id}/choices/`, { choice_text: 'No' }, hx)
  const carolBrowser = new TestBrowser(app)
  await carolBrowser.login('carol')
  await alice.post(`/admin/users/${(await app.users.userBySub('dev-carol'))?.id}/active`, { active: '0', confirm: 'yes' }, hx)

  const rows = await sqlRows(app, 'select username, object_type, action, change_message from admin_log order by id')
  t.same(rows, [
    { username: 'alice', object_type: 'question', action: 'add', change_message: 'Added, with choices “Yes”.' },
    { username: 'alice', object_type: 'question', action: 'change', change_message: 'Changed question text.' },
    { username: 'alice', object_type: 'choice', action: 'add', change_message: 'Added choice “No” to “Logged again?”.' },
    { username: 'alice', object_type: 'user', action: 'change', change_message: 'Deactivated.' }
  ])
  const home = await alice.get('/admin/')
  t.match(home.body, /Recent actions/)
  t.match(home.body, 'Changed question text.')
  t.match(home.body, 'Deactivated.')
  const history = await alice.get(`/admin/questions/${id}/history/`)
  t.match(history.body, 'Added, with choices “Yes”.')
  t.match(history.body, 'Added choice “No”')
  t.notMatch(history.body, 'Deactivated.', 'only this question\'s entries')

  await alice.post(`/admin/questions/${id}/delete/`, {}, hx)
  const afterDelete = await alice.get(`/admin/questions/${id}/history/`)
  t.equal(afterDelete.status, 200, 'a deleted question\'s history is still readable')
  t.match(afterDelete.body, /Deleted, with 2 choices and 0 votes/)
  t.equal(await count(app, 'admin_log'), 5)
  t.same(serverErrors, [])
})

eachDatabase('a broad search (many matches) pages the same rows as sorting every match would', async (t, db) => {
  const { app } = await adminSession(t, db)
  await app.store.seedBulk({ questions: 15000, votes: 15000, users: 20 })
  const all = await sqlRows<{ id: number, text: string, pubDate: number, votes: number }>(app, 'select id, question_text as text, pub_date as "pubDate", vote_count as votes from questions')
  for (const [search, sort, descending, page] of [['favourite', 'pub_date', true, 3], ['Favourite', 'votes', false, 2], ['should we', 'text', true, 1]] as const) {
    const expected = all.filter((q) => q.text.toLowerCase().includes(search.toLowerCase()))
      .sort((a, b) => {
        const key = (q: typeof a) => sort === 'pub_date' ? q.pubDate : sort === 'votes' ? q.votes : q.text
        const cmp = key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : a.id - b.id
        return descending ? -cmp : cmp
      })
    const result = await app.admin.questions.listQuestions({ search, date: 'any', sort, descending, page })
    t.ok(result.total > 2500, `"${search}" is a broad search (${result.total} matches)`)
    t.equal(result.total, expected.length, 'the count is exact')
    t.same(result.rows.map((q) => q.id), expected.slice((page - 1) * 50, page * 50).map((q) => q.id), `page ${page} by ${sort} matches`)
  }
})
