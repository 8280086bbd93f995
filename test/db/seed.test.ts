import t from 'tap'
import { seedDemoQuestions } from '../../src/db/seed.ts'
import { TestBrowser, buildTestApp } from '../helpers/app.ts'
import { eachDatabase, sqlValue } from '../helpers/databases.ts'

eachDatabase('db:seed adds published demo questions with choices, listed newest first', async (t, db) => {
  const { app } = await buildTestApp(t, { db })
  const added = await seedDemoQuestions(app.store)
  t.equal(added.length, 4)
  for (const q of added) t.ok((await app.polls.tallyVotes(q.id)).length >= 2, `${q.questionText} has choices`)
  const page = await new TestBrowser(app).get('/polls/')
  const titles = [...page.body.matchAll(/<a class="poll-link" href="\/polls\/\d+\/">([^<]*)<\/a>/g)].map((m) => m[1])
  t.same(titles, ['What&#39;s up?', 'Which identity provider do you use?', 'Tabs or spaces?', 'Best time for the team meeting?'])
})

eachDatabase('bulk seed for benchmarks: counts right, one vote per voter and question, triggers back in place', async (t, db) => {
  const { app } = await buildTestApp(t, { db })
  const result = await app.store.seedBulk({ questions: 200, votes: 2000, users: 50 })
  t.same(result, { questions: 200, choices: 600, votes: 2000, users: 50 })
  t.equal(await sqlValue(app, 'select count(*) from votes'), 2000, 'the votes are stored')
  t.equal(await sqlValue(app, `select count(*) as n from questions q where vote_count != (select count(*) from votes v where v.question_id = q.id)
    or choice_count != (select count(*) from choices c where c.question_id = q.id)`), 0, 'stored totals equal the rows')
  t.equal(await sqlValue(app, 'select count(*) as n from (select user_id, question_id from votes group by 1, 2 having count(*) > 1) as d'), 0, 'one vote per voter and question')
  const search = await app.admin.questions.listQuestions({ search: 'favourite editor', date: 'any', sort: 'text', descending: false, page: 1 })
  t.ok(search.total > 0, 'the search finds the new questions')
  t.equal((await app.admin.questions.listQuestions({ search: '#2', date: 'any', sort: 'text', descending: false, page: 1 })).total, 12, 'short searches too (#2, #20…#29, #200)')
  const before = await sqlValue(app, 'select vote_count from questions where id = 1')
  await sqlValue(app, 'delete from votes where question_id = 1 and id = (select min(id) from votes where question_id = 1)')
  t.equal(await sqlValue(app, 'select vote_count from questions where id = 1'), before - 1, 'the triggers are back and keep counting')
  const added = await app.store.seedBulk({ questions: 10, votes: 10, users: 5 })
  t.equal(added.questions, 10, 'seeding again adds to what is there')
  t.equal(await sqlValue(app, 'select count(*) from questions'), 210)
})

t.test('SQLite: the bulk seed puts back the count and search index triggers', async (t) => {
  const { app } = await buildTestApp(t)
  await app.store.seedBulk({ questions: 50, votes: 100, users: 10 })
  const sql = app.db.$client
  const triggers = sql.prepare("select name from sqlite_master where type = 'trigger' and name like '%count%' order by name").pluck().all()
  t.same(triggers, ['choices_count_delete', 'choices_count_insert', 'votes_count_delete', 'votes_count_insert'], 'the count triggers are restored')
  const searchTriggers = sql.prepare("select name from sqlite_master where type = 'trigger' and name like 'questions_search%' order by name").pluck().all()
  t.same(searchTriggers, ['questions_search_delete', 'questions_search_insert', 'questions_search_update_new', 'questions_search_update_old'], 'and the search index triggers')
})
