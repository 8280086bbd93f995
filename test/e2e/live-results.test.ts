// Live results in real Chromium: staff watching a results page see other people's votes arrive without
// a navigation, across two app processes sharing one database (SQLite and PostgreSQL).
import type { Page } from 'playwright-core'
import { addQuestion } from '../helpers/app.ts'
import { eachDatabase } from '../helpers/databases.ts'
import { launchChromium, logIn, startLiveApp } from '../helpers/live-app.ts'

/** Resolves with whether the live view's next poll was cancelled (config:request prevented) or sent. */
// A string, not a function: tsx would wrap a function's inner closures in a helper the page lacks.
// The listener is added after app.js's, so it sees that listener's verdict.
function nextPollCancelled (page: Page, selector: string): Promise<boolean> {
  return page.evaluate(`new Promise((resolve) => {
    document.addEventListener('htmx:config:request', (event) => resolve(event.defaultPrevented), { once: true })
    document.querySelector(${JSON.stringify(selector)}).dispatchEvent(new CustomEvent('every'))
  })`)
}

eachDatabase('staff see votes cast through another process arrive, without a page load', async (t, db) => {
  const voting = await startLiveApp(t, { db })
  const watching = await startLiveApp(t, { databaseUrl: voting.app.config.databaseUrl })
  const browser = await launchChromium(t)
  const q = await addQuestion(voting.app, 'Live or not?', -1, ['Live', 'Not'])
  let inFlight = 0
  watching.app.server.on('request', (request, response) => {
    if (request.url?.includes('/results/') !== true) return
    inFlight++
    response.on('close', () => { inFlight-- })
  })

  const staff = await (await browser.newContext()).newPage()
  const consoleErrors: string[] = []
  staff.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()) })
  await logIn(staff, watching.url, 'bob')
  await staff.goto(`${watching.url}/polls/${q.id}/results/`)
  const results = staff.locator(`#question-${q.id}-results`)
  t.match(await results.innerText(), /Live — 0 votes[\s\S]*Total: 0 votes/)
  t.ok(await staff.getByText('Updates as votes arrive.').isVisible(), 'says it is live')
  t.notOk(await staff.getByRole('link', { name: 'Refresh results' }).isVisible(), 'no refresh link needed with JavaScript')
  let loads = 0
  staff.on('load', () => { loads++ })
  await staff.evaluate(() => { (window as unknown as { survivor: number }).survivor = 1 })

  const voter = await (await browser.newContext()).newPage()
  await logIn(voter, voting.url, 'carol')
  await voter.goto(`${voting.url}/polls/${q.id}/`)
  await voter.getByRole('radio', { name: 'Live' }).check()
  await voter.getByRole('button', { name: 'Vote' }).click()
  await voter.getByText('is counted').waitFor()
  await results.getByText('Live — 1 vote', { exact: false }).waitFor()
  t.match(await results.innerText(), /Live — 1 vote\b[\s\S]*Total: 1 vote\b/, 'the staff page shows the new vote')

  await voter.getByRole('radio', { name: 'Not' }).check()
  await voter.getByRole('button', { name: 'Vote' }).click()
  await voter.getByText('“Not” is counted').waitFor()
  await results.getByText('Not — 1 vote', { exact: false }).waitFor()
  t.match(await results.innerText(), /Live — 0 votes[\s\S]*Not — 1 vote\b/, 'and a changed vote')

  // A hidden tab asks nothing; showing it again asks at once.
  await staff.evaluate(() => { Object.defineProperty(document, 'hidden', { configurable: true, value: true }) })
  t.equal(await nextPollCancelled(staff, `#question-${q.id}-results`), true, 'no poll while the tab is hidden')
  await staff.evaluate(() => { Object.defineProperty(document, 'hidden', { configurable: true, value: false }) })
  t.equal(await nextPollCancelled(staff, `#question-${q.id}-results`), false, 'polls again once visible')

  t.equal(loads, 0, 'no page load')
  t.equal(await staff.evaluate(() => (window as unknown as { survivor?: number }).survivor), 1, 'window state survived')
  t.same(consoleErrors, [])

  // Closing the tab ends it: polls are short requests, so nothing stays open on the server.
  await staff.context().close()
  while (inFlight > 0) await new Promise((resolve) => setImmediate(resolve))
  t.equal(inFlight, 0, 'no results request held open after the tab closed')
})

eachDatabase('an expired session while watching goes through the login and back, never into the results', async (t, db) => {
  const { app, url } = await startLiveApp(t, { db })
  const browser = await launchChromium(t)
  const q = await addQuestion(app, 'Still watching?', -1, ['Yes'])
  const context = await browser.newContext()
  const staff = await context.newPage()
  await logIn(staff, url, 'bob')
  await staff.goto(`${url}/polls/${q.id}/results/`)
  await staff.evaluate(() => { (window as unknown as { survivor: number }).survivor = 1 })
  await context.clearCookies({ name: 'polls_session' })
  // The next poll gets 401 + HX-Redirect: the whole page goes to the login, which (the provider still
  // knows bob) comes straight back to the results.
  await staff.waitForFunction(() => (window as unknown as { survivor?: number }).survivor === undefined)
  await staff.waitForURL(`${url}/polls/${q.id}/results/`, { waitUntil: 'load' })
  await staff.locator('.who').waitFor()
  t.match(await staff.locator('.who').innerText(), /bob/, 'signed in again, on the results page')
  t.equal(await staff.locator(`#question-${q.id}-results`).count(), 1, 'the results, once')
  t.equal(await staff.locator('#main form input[name="username"]').count(), 0, 'no login form swapped into the page')
})
