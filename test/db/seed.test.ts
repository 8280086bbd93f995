import t from 'tap'
import { seedDemoQuestions } from '../../src/db/seed.ts'
import { seedBulk } from '../../src/db/bulk-seed.ts'
import { TestBrowser, buildTestApp } from '../helpers/app.ts'

t.test('db:seed adds published demo questions with choices, listed newest first', async (t) => {
  const { app } = await buildTestApp(t)
  const added = seedDemoQuestions(app.db)
  t.equal(added.length, 4)
  for (const q of added) t.ok((await app.polls.tallyVotes(q.id)).length >= 2, `${q.questionText} has choices`)
  const page = await new TestBrowser(app).get('/polls/')
  const titles = [...page.body.matchAll(/<li><a href="\/polls\/\d+\/">([^<]*)<\/a>/g)].map((m) => m[1])
  t.same(titles, ['What&#39;s up?', 'Which identity provider do you use?', 'Tabs or spaces?', 'Best time for the team meeting?'])
})

t.test('bulk seed for benchmarks: counts right, one vote per voter and question, triggers back in place', async (t) => {
  const { app } = await buildTestApp(t)
  const result = seedBulk(app.db, { questions: 200, votes: 2000, users: 50 })
  t.same(result, { questions: 200, choices: 600, votes: 2000, users: 50 })
  const sql = app.db.$client
  const mismatched = sql.prepare(`select count(*) as n from questions q where vote_count != (select count(*) from votes v where v.question_id = q.id)
    or choice_count != (select count(*) from choices c where c.question_id = q.id)`).get() as { n: number }
  t.equal(mismatched.n, 0, 'stored totals equal the rows')
  const dupes = sql.prepare('select count(*) as n from (select user_id, question_id from votes group by 1, 2 having count(*) > 1)').get() as { n: number }
  t.equal(dupes.n, 0)
  const triggers = sql.prepare("select name from sqlite_master where type = 'trigger' and name like '%count%' order by name").pluck().all()
  t.same(triggers, ['choices_count_delete', 'choices_count_insert', 'votes_count_delete', 'votes_count_insert'], 'the count triggers are restored')
  const searchTriggers = sql.prepare("select name from sqlite_master where type = 'trigger' and name like 'questions_search%' order by name").pluck().all()
  t.same(searchTriggers, ['questions_search_delete', 'questions_search_insert', 'questions_search_update_new', 'questions_search_update_old'], 'and the search index triggers')
  t.equal(sql.prepare("select count(*) from questions_search_short where questions_search_short match '\"#\u00012\"'").pluck().get(), 12, 'the short index has them too (#2, #20…#29, #200)')
  t.equal((sql.prepare("select count(*) as n from questions_search where questions_search match '\"favourite editor\"'").get() as { n: number }).n > 0, true, 'and the search index has the new questions')
  const q = sql.prepare('select id, vote_count from questions where id = 1').get() as { id: number, vote_count: number }
  sql.prepare('delete from votes where question_id = 1 and id = (select min(id) from votes where question_id = 1)').run()
  t.equal((sql.prepare('select vote_count from questions where id = 1').get() as { vote_count: number }).vote_count, q.vote_count - 1, 'and keep counting')
})
