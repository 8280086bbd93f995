// What only a browser shows: htmx swaps the vote in place (no navigation), and the plain-form fallback.
import t from 'tap'
import type { Page } from 'playwright-core'
import { addQuestion } from '../helpers/app.ts'
import { launchChromium, startLiveApp } from '../helpers/live-app.ts'

async function logIn (page: Page, url: string, username: string) {
  await page.goto(`${url}/`)
  await page.getByRole('link', { name: 'Log in' }).first().click()
  await page.locator(`form:has(input[name="username"][value="${username}"]) button`).click()
  await page.waitForURL(`${url}/`)
}

t.test('voting with htmx happens in place; staff see the results inline', async (t) => {
  const { app, url } = await startLiveApp(t)
  const browser = await launchChromium(t)
  const q = addQuestion(app, 'What\'s up?', -1, ['Not much', 'The sky'])

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
  await page.getByRole('button', { name: 'Vote' }).click()
  await page.getByText('Your vote for “The sky” is counted.').waitFor()
  t.match(await page.locator(`#question-${q.id}-results`).innerText(), /The sky -- 1 vote\b/)

  await page.getByRole('radio', { name: 'Not much' }).check()
  await page.getByRole('button', { name: 'Vote' }).click()
  await page.getByText('Your vote for “Not much” is counted.').waitFor()
  t.match(await page.locator(`#question-${q.id}-results`).innerText(), /Not much -- 1 vote\b[\s\S]*The sky -- 0 votes/)

  t.equal(navigations, 0, 'no page load while voting')
  t.equal(await page.evaluate(() => (window as unknown as { survivor?: number }).survivor), 42, 'window state survived')
  t.same(consoleErrors, [], 'no console errors (CSP, htmx)')
  t.same(app.polls.tallyVotes(q.id).map((c) => c.votes), [1, 0])
})

t.test('without JavaScript the same form posts and redirects', async (t) => {
  const { app, url } = await startLiveApp(t)
  const browser = await launchChromium(t)
  const q = addQuestion(app, 'Plain forms?', -1, ['Yes', 'No'])
  const context = await browser.newContext({ javaScriptEnabled: false })
  const page = await context.newPage()
  await logIn(page, url, 'carol')
  await page.goto(`${url}/polls/${q.id}/`)
  await page.getByRole('radio', { name: 'No' }).check()
  await page.getByRole('button', { name: 'Vote' }).click()
  await page.waitForURL(`${url}/polls/${q.id}/`)
  await page.getByText('Your vote for “No” is counted.').waitFor()
  t.ok(await page.getByRole('radio', { name: 'No' }).isChecked(), 'the current vote is preselected')
  t.same(app.polls.tallyVotes(q.id).map((c) => c.votes), [0, 1])

  await page.getByRole('button', { name: 'Log out' }).click()
  await page.getByRole('button', { name: 'Sign out' }).first().click()
  await page.waitForURL(`${url}/`)
  t.ok(await page.getByRole('link', { name: 'Log in' }).first().isVisible(), 'signed out, back home')
})
