import t from 'tap'
import { TestBrowser, addQuestion, buildTestApp } from '../helpers/app.ts'

const HOSTILE = '<script>alert(1)</script><img src=x onerror=alert(2)>'
const ESCAPED = '&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;'

t.test('question and choice texts are escaped on every page that shows them', async (t) => {
  const { app, serverErrors } = await buildTestApp(t)
  const q = await addQuestion(app, `Q ${HOSTILE}`, -1, [`C ${HOSTILE}`, 'Plain'])
  const visitor = new TestBrowser(app)
  const carol = new TestBrowser(app)
  await carol.login('carol')
  const bob = new TestBrowser(app)
  await bob.login('bob')
  const alice = new TestBrowser(app)
  await alice.login('alice')
  const pages: Array<[string, TestBrowser, string]> = [
    ['home, anonymous', visitor, '/'],
    ['polls list, anonymous', visitor, '/polls/'],
    ['archive', visitor, '/polls/archive/'],
    ['home, signed in', carol, '/'],
    ['polls list, signed in', carol, '/polls/'],
    ['poll', carol, `/polls/${q.id}/`],
    ['results', bob, `/polls/${q.id}/results/`],
    ['presenter', bob, `/polls/${q.id}/present/`],
    ['admin table', alice, '/admin/questions/'],
    ['admin question', alice, `/admin/questions/${q.id}/`]
  ]
  for (const [name, browser, path] of pages) {
    const page = await browser.get(path)
    t.equal(page.status, 200, `${name}: ${path}`)
    t.notOk(page.body.includes(HOSTILE), `${name}: the text is never markup`)
    t.ok(page.body.includes(`Q ${ESCAPED}`), `${name}: it is shown escaped`)
  }
  for (const path of [`/polls/${q.id}/`, `/polls/${q.id}/results/`, `/polls/${q.id}/present/`, `/admin/questions/${q.id}/`]) {
    const page = await (path.startsWith('/admin') ? alice : bob).get(path)
    t.ok(page.body.includes(`C ${ESCAPED}`) && !page.body.includes(`C ${HOSTILE}`), `${path}: the choice is escaped`)
  }
  t.same(serverErrors, [])
})
