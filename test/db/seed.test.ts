import t from 'tap'
import { seedDemoQuestions } from '../../src/db/seed.ts'
import { TestBrowser, buildTestApp } from '../helpers/app.ts'

t.test('db:seed adds published demo questions with choices, listed newest first', async (t) => {
  const { app } = await buildTestApp(t)
  const added = seedDemoQuestions(app.db)
  t.equal(added.length, 4)
  for (const q of added) t.ok(app.polls.tallyVotes(q.id).length >= 2, `${q.questionText} has choices`)
  const page = await new TestBrowser(app).get('/polls/')
  const titles = [...page.body.matchAll(/<li><a href="\/polls\/\d+\/">([^<]*)<\/a>/g)].map((m) => m[1])
  t.same(titles, ['What&#39;s up?', 'Which identity provider do you use?', 'Tabs or spaces?', 'Best time for the team meeting?'])
})
