// The Django tutorial's own tests (polls/tests.py), ported.
import t from 'tap'
import { wasPublishedRecently } from '../../src/db/polls.ts'
import { TestBrowser, addQuestion, buildTestApp } from '../helpers/app.ts'

const HOUR = 60 * 60 * 1000
const DAY = 24 * HOUR

t.test('was_published_recently', async (t) => {
  const now = Date.now()
  t.notOk(wasPublishedRecently({ pubDate: new Date(now + 30 * DAY) }, now), 'false for a question in the future')
  t.notOk(wasPublishedRecently({ pubDate: new Date(now - DAY - 1000) }, now), 'false for a question older than a day')
  t.ok(wasPublishedRecently({ pubDate: new Date(now - 23 * HOUR - 59 * 60 * 1000) }, now), 'true within the last day')
})

t.test('index view', async (t) => {
  const { app } = await buildTestApp(t)
  const browser = new TestBrowser(app)
  const titles = (body: string) => [...body.matchAll(/<a class="poll-link" href="\/polls\/\d+\/">([^<]*)<\/a>/g)].map((m) => m[1])

  t.test('no questions', async (t) => {
    const page = await browser.get('/polls/')
    t.equal(page.status, 200)
    t.match(page.body, 'No polls are available.')
    t.same(titles(page.body), [])
  })

  t.test('past and future questions', async (t) => {
    await addQuestion(app, 'Future question.', 30)
    let page = await browser.get('/polls/')
    t.match(page.body, 'No polls are available.', 'a future question is not listed')
    await addQuestion(app, 'Past question 1.', -30)
    await addQuestion(app, 'Past question 2.', -5)
    page = await browser.get('/polls/')
    t.same(titles(page.body), ['Past question 2.', 'Past question 1.'], 'past questions, newest first; never the future one')
  })

  t.test('only the five latest', async (t) => {
    for (let i = 1; i <= 6; i++) await addQuestion(app, `Recent ${i}.`, -1 / (i + 1))
    const page = await browser.get('/polls/')
    t.same(titles(page.body), ['Recent 6.', 'Recent 5.', 'Recent 4.', 'Recent 3.', 'Recent 2.'])
  })
})

t.test('detail view', async (t) => {
  const { app } = await buildTestApp(t)
  const browser = new TestBrowser(app)
  await browser.login('carol')
  const future = await addQuestion(app, 'Future question.', 5)
  const past = await addQuestion(app, 'Past <Question>.', -5)
  const notFound = await browser.get(`/polls/${future.id}/`)
  t.equal(notFound.status, 404, 'a future question answers 404')
  t.match(notFound.body, /No published question has that number/)
  const shown = await browser.get(`/polls/${past.id}/`)
  t.equal(shown.status, 200)
  t.match(shown.body, 'Past &lt;Question&gt;.', 'shown, escaped')
  t.notMatch(shown.body, '<Question>')
})
