// What only a browser shows: htmx swaps the vote in place (no navigation). The plain-form fallback: no-js.test.ts.
import { addQuestion } from '../helpers/app.ts'
import { eachDatabase } from '../helpers/databases.ts'
import { launchChromium, logIn, startLiveApp } from '../helpers/live-app.ts'

eachDatabase('voting with htmx happens in place; staff see the results inline', async (t, db) => {
  const { app, url } = await startLiveApp(t, { db })
  const browser = await launchChromium(t)
  const q = await addQuestion(app, 'What\'s up?', -1, ['Not much', 'The sky'])

  const context = await browser.newContext()
  const page = await context.newPage()
  const consoleErrors: string[] = []
  // The 422 for "no choice" is an intended answer that the browser reports; anything else is a fault.
  page.on('console', (m) => { if (m.type() === 'error' && !m.text().includes('status of 422')) consoleErrors.push(m.text()) })
  await logIn(page, url, 'bob')
  t.match(await page.locator('.who').innerText(), /bob/)

  await page.goto(`${url}/polls/${q.id}/`)
  let navigations = 0
  // Document loads only: htmx's own history.replaceState is a same-document update, not a page load.
  page.on('load', () => { navigations++ })
  await page.evaluate(() => { (window as unknown as { survivor: number }).survivor = 42 })

  await page.getByRole('button', { name: 'Vote' }).click()
  await page.getByText('You didn\'t select a choice.').waitFor()
  t.pass('the error appears in place')

  await page.getByRole('radio', { name: 'The sky' }).check()
  // A double click sends one vote: the button is disabled while its request is in flight.
  let votePosts = 0
  const countVotes = (request: { method: () => string, url: () => string }) => { if (request.method() === 'POST' && request.url().endsWith('/vote/')) votePosts++ }
  page.on('request', countVotes)
  await page.getByRole('button', { name: 'Vote' }).dblclick()
  await page.getByText('Your vote for “The sky” is counted.').waitFor()
  page.off('request', countVotes)
  t.equal(votePosts, 1, 'a double click sends one vote')
  t.match(await page.locator(`#question-${q.id}-results`).innerText(), /The sky — 1 vote\b/)

  await page.getByRole('radio', { name: 'Not much' }).check()
  await page.getByRole('button', { name: 'Vote' }).click()
  await page.getByText('Your vote for “Not much” is counted.').waitFor()
  t.match(await page.locator(`#question-${q.id}-results`).innerText(), /Not much — 1 vote\b[\s\S]*The sky — 0 votes/)

  t.equal(navigations, 0, 'no page load while voting')
  t.equal(await page.evaluate(() => (window as unknown as { survivor?: number }).survivor), 42, 'window state survived')
  t.same(consoleErrors, [], 'no console errors (CSP, htmx)')
  t.same((await app.polls.tallyVotes(q.id)).map((c) => c.votes), [1, 0])
})

eachDatabase('errors other than validation land beside the form; an expired session goes to the login', async (t, db) => {
  const { app, url } = await startLiveApp(t, { db })
  const browser = await launchChromium(t)
  const q = await addQuestion(app, 'Still usable?', -1, ['Yes', 'No'])
  const context = await browser.newContext()
  const page = await context.newPage()
  await logIn(page, url, 'carol')
  await page.goto(`${url}/polls/${q.id}/`)

  // A tampered form (CSRF) is refused with 403: the message shows and the form stays.
  await page.evaluate(() => {
    document.querySelector('meta[name="csrf-token"]')?.setAttribute('content', 'forged')
    document.querySelectorAll('input[name="_csrf"]').forEach((input) => { (input as HTMLInputElement).value = 'forged' })
  })
  await page.getByRole('radio', { name: 'Yes' }).check()
  await page.getByRole('button', { name: 'Vote' }).click()
  await page.getByText('This form has expired or did not come from this site').waitFor()
  t.ok(await page.getByRole('button', { name: 'Vote' }).isVisible(), 'the form is still there')
  t.equal((await app.polls.tallyVotes(q.id)).reduce((n, c) => n + c.votes, 0), 0, 'nothing was written')

  // The session cookie is gone (expired): htmx follows HX-Redirect through the login and back.
  await page.reload()
  await context.clearCookies({ name: 'polls_session' })
  await page.getByRole('radio', { name: 'No' }).check()
  await page.getByRole('button', { name: 'Vote' }).click()
  await page.waitForURL(`${url}/polls/${q.id}/`, { waitUntil: 'load' })
  await page.locator('.who').waitFor()
  t.match(await page.locator('.who').innerText(), /carol/, 'signed in again (the provider still knew her) and back on the question')
  t.notOk(await page.locator('.error-box').isVisible(), 'no login page or error swapped into the fragment')
})
