import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { TestBrowser, addQuestion, buildTestApp, pageText } from '../helpers/app.ts'
import { eachDatabase, sqlRows, sqlRow, sqlValue } from '../helpers/databases.ts'

const HTMX = { 'hx-request': 'true' }
const countVotes = (app: FastifyInstance) => sqlValue(app, 'select count(*) as n from votes')

eachDatabase('voting with htmx swaps in a confirmation; voting again moves the vote', async (t, db) => {
  const { app, serverErrors } = await buildTestApp(t, { db })
  const q = await addQuestion(app, 'What\'s up?', -1, ['Not much', 'The sky'])
  const [first, second] = q.choices
  if (first === undefined || second === undefined) throw new Error('choices missing')
  const carol = new TestBrowser(app)
  await carol.login('carol')
  const token = await carol.csrfToken(`/polls/${q.id}/`)

  const voted = await carol.post(`/polls/${q.id}/vote/`, { choice: String(first.id) }, { ...HTMX, 'x-csrf-token': token })
  t.equal(voted.status, 200)
  t.notMatch(voted.body, /<html/, 'a fragment, not a page')
  t.match(voted.body, `id="question-${q.id}-vote"`)
  t.match(voted.body, 'Your vote for “Not much” is counted.')
  t.match(voted.body, /aria-live="polite"/)
  t.match(voted.body, new RegExp(`value="${first.id}" checked`), 'the new vote is preselected')
  t.notMatch(voted.body, /Results/, 'plain users do not see results')

  const again = await carol.post(`/polls/${q.id}/vote/`, { choice: String(second.id) }, { ...HTMX, 'x-csrf-token': token })
  t.match(again.body, 'Your vote for “The sky” is counted.')
  t.same((await app.polls.tallyVotes(q.id)).map((c) => c.votes), [0, 1], 'the vote moved; the total stayed 1')

  const back = await carol.get(`/polls/${q.id}/`)
  t.match(back.body, new RegExp(`value="${second.id}" checked`), 'current vote preselected on return')
  t.notMatch(back.body, /is counted/, 'no stale confirmation on a later visit')
  t.same(serverErrors, [])
})

eachDatabase('staff see the results inline after voting, and on the results page', async (t, db) => {
  const { app } = await buildTestApp(t, { db })
  const q = await addQuestion(app, 'Tabs or spaces?', -1, ['Tabs', 'Spaces'])
  const bob = new TestBrowser(app)
  await bob.login('bob')
  const token = await bob.csrfToken(`/polls/${q.id}/`)
  const voted = await bob.post(`/polls/${q.id}/vote/`, { choice: String(q.choices[1]?.id) }, { ...HTMX, 'x-csrf-token': token })
  t.match(voted.body, 'Your vote for “Spaces” is counted.')
  t.match(voted.body, `id="question-${q.id}-results"`)
  t.match(pageText(voted.body), /Tabs — 0 votes/)
  t.match(pageText(voted.body), /Spaces — 1 vote\b/)
  t.match(voted.body, '100%')

  const page = await bob.get(`/polls/${q.id}/results/`)
  t.equal(page.status, 200)
  t.match(page.body, /<html/)
  t.match(pageText(page.body), /Spaces — 1 vote\b/)
  const fragment = await bob.get(`/polls/${q.id}/results/`, HTMX)
  t.notMatch(fragment.body, /<html/)
  t.match(fragment.body, /^\s*<section id="question-\d+-results"/)
  t.equal(fragment.headers.vary, 'HX-Request')
})

eachDatabase('without JavaScript the form posts and redirects (post/redirect/get)', async (t, db) => {
  const { app } = await buildTestApp(t, { db })
  const q = await addQuestion(app, 'Plain?', -1, ['A', 'B'])
  const bob = new TestBrowser(app)
  await bob.login('bob')
  const form = await bob.get(`/polls/${q.id}/`)
  const token = /name="_csrf" value="([^"]+)"/.exec(form.body)?.[1] ?? ''
  t.match(form.body, `action="/polls/${q.id}/vote/"`)
  const posted = await bob.post(`/polls/${q.id}/vote/`, { _csrf: token, choice: String(q.choices[0]?.id) })
  t.equal(posted.status, 303)
  t.equal(posted.headers.location, `/polls/${q.id}/`)
  const landed = await bob.follow(posted)
  t.match(landed.body, 'Your vote for “A” is counted.')
  t.match(pageText(landed.body), /A — 1 vote\b/, 'staff see the tally after a plain post too')
  const reload = await bob.get(`/polls/${q.id}/`)
  t.notMatch(reload.body, /is counted/, 'the confirmation is shown once')
})

eachDatabase('bad input: a clear 4xx, never a 500, nothing written', async (t, db) => {
  const { app, serverErrors } = await buildTestApp(t, { db })
  const q = await addQuestion(app, 'Mine?', -1, ['A', 'B'])
  const other = await addQuestion(app, 'Other?', -1, ['X'])
  const future = await addQuestion(app, 'Later?', 3, ['L'])
  const carol = new TestBrowser(app)
  await carol.login('carol')
  const token = await carol.csrfToken(`/polls/${q.id}/`)
  const vote = (id: string | number, form: Record<string, string>, headers: Record<string, string> = HTMX) =>
    carol.post(`/polls/${id}/vote/`, form, { ...headers, 'x-csrf-token': token })

  const none = await vote(q.id, {})
  t.equal(none.status, 422)
  t.match(none.body, 'You didn&#39;t select a choice.')
  t.match(none.body, /role="alert"/)
  t.notMatch(none.body, /<html/, 'htmx gets the component back with the error in place')

  const nonePlain = await vote(q.id, {}, {})
  t.equal(nonePlain.status, 422)
  t.match(nonePlain.body, /<html/, 'a plain post gets the whole page with the error')
  t.match(nonePlain.body, 'You didn&#39;t select a choice.')

  const foreign = await vote(q.id, { choice: String(other.choices[0]?.id) })
  t.equal(foreign.status, 422)
  t.match(foreign.body, 'not part of this question')

  const junk = await vote(q.id, { choice: 'abc' })
  t.equal(junk.status, 422)
  const huge = await vote(q.id, { choice: '99999999999999999999' })
  t.equal(huge.status, 422)
  const missingChoice = await vote(q.id, { choice: '999999' })
  t.equal(missingChoice.status, 422)

  for (const id of ['abc', '0', '-1', '1.5', '999999999999999999999999']) {
    const res = await vote(id, { choice: '1' })
    t.equal(res.status, 400, `question id ${id} → 400`)
    t.match(res.body, /not valid/)
  }
  t.equal((await vote(424242, { choice: '1' })).status, 404, 'unknown question → 404')
  t.equal((await vote(future.id, { choice: String(future.choices[0]?.id) })).status, 404, 'unpublished question → 404')

  t.equal(await countVotes(app), 0, 'nothing written')
  t.same(serverErrors, [])
})

eachDatabase('concurrent votes: every voter ends with exactly one vote and the counts equal the rows', async (t, db) => {
  const { app, serverErrors } = await buildTestApp(t, { db })
  const q = await addQuestion(app, 'Busy?', -1, ['A', 'B', 'C'])
  const voters = await Promise.all(['alice', 'bob', 'carol'].map(async (name) => {
    const browser = new TestBrowser(app)
    await browser.login(name)
    return { browser, token: await browser.csrfToken(`/polls/${q.id}/`) }
  }))
  const requests = []
  for (let i = 0; i < 60; i++) {
    const voter = voters[i % voters.length]
    if (voter === undefined) continue
    const choice = q.choices[i % q.choices.length]
    requests.push(voter.browser.post(`/polls/${q.id}/vote/`, { choice: String(choice?.id) }, { ...HTMX, 'x-csrf-token': voter.token }))
  }
  const results = await Promise.all(requests)
  t.same([...new Set(results.map((r) => r.status))], [200], 'every request succeeded')
  const rows = await sqlRows<{ n: number }>(app, 'select user_id, count(*) as n from votes where question_id = ? group by user_id', [q.id])
  t.equal(rows.length, 3, 'one row per voter')
  t.ok(rows.every((r) => r.n === 1), 'exactly one vote each')
  const shown = (await app.polls.tallyVotes(q.id)).reduce((sum, c) => sum + c.votes, 0)
  t.equal(shown, 3, 'the counts shown equal the stored votes')
  t.same(serverErrors, [])
})
