// axe-core in real Chromium on what the error and live-results work added: the 403, 404, 429 and 500
// pages, the 429 fragment in #alerts, and the live results after an update; light and dark.
import t from 'tap'
import { Writable } from 'node:stream'
import { addQuestion } from '../helpers/app.ts'
import { seriousViolations } from '../helpers/axe.ts'
import { launchChromium, logIn, startLiveApp } from '../helpers/live-app.ts'

t.test('error pages (403, 404, 429, 500), the #alerts fragment and the live results update', async (t) => {
  const logLines: string[] = []
  const logStream = new Writable({ write (chunk: Buffer, _enc, done) { logLines.push(chunk.toString()); done() } })
  // One vote a minute: bob's first vote counts, every later one is the 429.
  const { app, url } = await startLiveApp(t, { env: { RATE_LIMIT_VOTES_PER_MINUTE: '1' }, logStream })
  const browser = await launchChromium(t)
  const q = await addQuestion(app, 'Accessible errors?', -1, ['Yes', 'No'])
  const bobId = () => (app.db.$client.prepare('select id from users where username = ?').get('bob') as { id: number }).id
  let choice = 0
  for (const scheme of ['light', 'dark'] as const) {
    const page = await (await browser.newContext({ colorScheme: scheme, bypassCSP: true })).newPage()
    await logIn(page, url, 'bob')
    await page.goto(`${url}/polls/424242/`)
    t.same(await seriousViolations(page), [], `404 page (${scheme})`)
    await page.goto(`${url}/admin/`)
    t.same(await seriousViolations(page), [], `403 page (${scheme})`)

    const original = app.polls.latestPublishedQuestions
    app.polls.latestPublishedQuestions = () => { throw new Error('provoked for the 500 page') }
    await page.goto(`${url}/polls/`).finally(() => { app.polls.latestPublishedQuestions = original })
    await page.getByRole('heading', { name: 'Something went wrong' }).waitFor()
    t.same(await seriousViolations(page), [], `500 page (${scheme})`)

    // Over the limit: with htmx the 429 lands in #alerts; a plain submit (form.submit() skips htmx) is a page.
    await page.goto(`${url}/polls/${q.id}/`)
    await page.getByRole('radio', { name: 'No' }).check()
    if (scheme === 'light') {
      await page.getByRole('button', { name: 'Vote' }).click()
      await page.getByText('is counted').waitFor()
    }
    await page.getByRole('button', { name: 'Vote' }).click()
    await page.locator('#alerts').getByRole('heading', { name: 'Too many requests' }).waitFor()
    t.same(await seriousViolations(page), [], `429 fragment in #alerts (${scheme})`)
    await page.evaluate(`document.querySelector('form[action$="/vote/"]').submit()`)
    await page.getByRole('heading', { name: 'Too many requests', level: 1 }).waitFor()
    t.same(await seriousViolations(page), [], `429 page (${scheme})`)

    // The live results after an update arrived (a vote moved underneath the open page).
    await page.goto(`${url}/polls/${q.id}/results/`)
    const moved = q.choices[choice++ % 2]
    await app.polls.castVote(bobId(), q.id, moved?.id ?? 0)
    await page.locator(`#question-${q.id}-results`).getByText(`${moved?.choiceText ?? ''} — 1 vote`).waitFor()
    t.same(await seriousViolations(page), [], `live results after an update (${scheme})`)
  }
  const errors = logLines.filter((line) => line.includes('"level":50'))
  t.ok(errors.length >= 2 && errors.every((line) => line.includes('provoked for the 500 page')), 'the only errors logged are the provoked 500s')
})
