// The plain-form fallback in a browser with JavaScript off: every journey that promises it.
import type { Browser, Page } from 'playwright-core'
import { addQuestion } from '../helpers/app.ts'
import { eachDatabase } from '../helpers/databases.ts'
import { launchChromium, logIn, startLiveApp } from '../helpers/live-app.ts'

async function plainPage (browser: Browser): Promise<Page> {
  return (await browser.newContext({ javaScriptEnabled: false })).newPage()
}

/** public/js/app.js marks <html class="js"> first thing: without that mark, no script of ours ran. */
async function noScriptRan (page: Page): Promise<boolean> {
  return await page.locator('html.js').count() === 0
}

eachDatabase('voting: nothing selected, a vote, a changed vote; staff see the results and refresh them', async (t, db) => {
  const { app, url } = await startLiveApp(t, { db })
  const browser = await launchChromium(t)
  const q = await addQuestion(app, 'Without scripts?', -1, ['Fine', 'Painful'])
  const page = await plainPage(browser)
  await logIn(page, url, 'bob')
  await page.goto(`${url}/polls/${q.id}/`)
  t.ok(await noScriptRan(page), 'JavaScript is off')

  await page.getByRole('button', { name: 'Vote' }).click()
  await page.getByText('You didn\'t select a choice.').waitFor()
  t.ok(await page.getByRole('button', { name: 'Vote' }).isVisible(), 'the form again, with the error')
  t.equal(await page.locator('.site-header').count(), 1, 'as a whole page')

  await page.getByRole('radio', { name: 'Fine' }).check()
  await page.getByRole('button', { name: 'Vote' }).click()
  await page.waitForURL(`${url}/polls/${q.id}/`)
  await page.getByText('Your vote for “Fine” is counted.').waitFor()
  t.match(await page.locator(`#question-${q.id}-results`).innerText(), /Fine — 1 vote\b/, 'staff see the results with the confirmation')

  await page.getByRole('radio', { name: 'Painful' }).check()
  await page.getByRole('button', { name: 'Vote' }).click()
  await page.getByText('Your vote for “Painful” is counted.').waitFor()
  t.ok(await page.getByRole('radio', { name: 'Painful' }).isChecked(), 'the changed vote is preselected')
  t.same((await app.polls.tallyVotes(q.id)).map((c) => c.votes), [0, 1], 'moved, not added')
  await page.reload()
  t.same((await app.polls.tallyVotes(q.id)).map((c) => c.votes), [0, 1], 'a reload does not post again')

  // The results page from the list, and its refresh link (the live updates need JavaScript).
  await page.goto(`${url}/polls/`)
  await page.getByRole('link', { name: 'results' }).click()
  await page.waitForURL(`${url}/polls/${q.id}/results/`)
  t.match(await page.locator(`#question-${q.id}-results`).innerText(), /Painful — 1 vote\b/)
  t.notOk(await page.getByText('Updates as votes arrive.').isVisible(), 'no promise of live updates')
  const carol = await plainPage(browser)
  await logIn(carol, url, 'carol')
  await carol.goto(`${url}/polls/${q.id}/`)
  await carol.getByRole('radio', { name: 'Fine' }).check()
  await carol.getByRole('button', { name: 'Vote' }).click()
  await carol.getByText('is counted').waitFor()
  await page.getByRole('link', { name: 'Refresh results' }).click()
  await page.waitForURL(`${url}/polls/${q.id}/results/`)
  t.match(await page.locator(`#question-${q.id}-results`).innerText(), /Fine — 1 vote\b[\s\S]*Painful — 1 vote\b[\s\S]*Total: 2 votes/)
})

eachDatabase('admin: add with choices, edit, delete after a confirmation page, log out', async (t, db) => {
  const { app, url } = await startLiveApp(t, { db })
  const browser = await launchChromium(t)
  await addQuestion(app, 'Already here?', -3, ['Yes'])
  const page = await plainPage(browser)
  await logIn(page, url, 'alice')
  await page.goto(`${url}/admin/questions/`)
  t.ok(await noScriptRan(page), 'JavaScript is off')

  await page.getByText('Add question').click()
  await page.getByLabel('Question text').waitFor()
  t.notOk(await page.getByRole('button', { name: 'Add another choice' }).isVisible(), 'no button that needs JavaScript')
  t.notOk(await page.getByRole('checkbox', { name: 'Select all questions on this page' }).isVisible(), 'no select-all box that needs it either')
  await page.getByLabel('Question text').fill('Plain old forms?')
  await page.getByRole('textbox', { name: 'Choice 1' }).fill('Always')
  await page.getByRole('textbox', { name: 'Choice 3' }).fill('Sometimes')
  await page.locator('#question-add').getByRole('button', { name: 'Save' }).click()
  await page.getByText('The question “Plain old forms?” was added successfully.').waitFor()
  const row = page.locator('#questions-table tr', { hasText: 'Plain old forms?' })
  t.match(await row.innerText(), /Plain old forms\?[\s\S]*\b2\b/, 'listed, with its 2 choices')

  await row.getByRole('link', { name: 'Edit “Plain old forms?”' }).click()
  await page.waitForURL(/\/admin\/questions\/\d+\/$/)
  await page.getByLabel('Question text').fill('Plain forms, edited?')
  await page.getByRole('button', { name: 'Save' }).first().click()
  await page.waitForURL(`${url}/admin/questions/`)
  await page.getByText('The question “Plain forms, edited?” was changed successfully.').waitFor()

  await page.getByRole('link', { name: 'Delete “Plain forms, edited?”' }).click()
  await page.getByRole('heading', { name: 'Are you sure?' }).waitFor()
  t.match(await page.locator('#confirm-summary').innerText(), /2 choices and 0 votes/, 'the confirmation says what goes with it')
  await page.getByRole('button', { name: 'Yes, I’m sure' }).click()
  await page.waitForURL(`${url}/admin/questions/`)
  await page.getByText('was deleted successfully, with 2 choices and 0 votes').waitFor()

  // Several at once: select, "Delete selected questions", confirm.
  await page.getByRole('checkbox', { name: 'Select “Already here?”' }).check()
  await page.getByRole('button', { name: 'Delete selected questions' }).click()
  await page.getByRole('heading', { name: 'Are you sure?' }).waitFor()
  await page.getByRole('button', { name: 'Yes, I’m sure' }).click()
  await page.getByText('Successfully deleted 1 question').waitFor()
  t.equal((await app.admin.questions.listQuestions({ search: '', date: 'any', sort: 'text', descending: false, page: 1 })).total, 0, 'both gone')

  await page.getByRole('button', { name: 'Log out' }).click()
  await page.getByRole('button', { name: 'Sign out' }).first().click()
  await page.waitForURL(`${url}/`)
  t.ok(await page.getByRole('link', { name: 'Log in' }).first().isVisible(), 'signed out, back home')
  await page.goto(`${url}/admin/`)
  t.match(page.url(), /\/oidc\/authenticate\/|\/auth|\/interaction/, 'the console needs a login again')
})
