// The admin console in a real browser: everything happens in place, without a page load.
import { addQuestion } from '../helpers/app.ts'
import { eachDatabase } from '../helpers/databases.ts'
import { launchChromium, logIn, startLiveApp } from '../helpers/live-app.ts'

eachDatabase('add with choices, edit inline, search, delete with confirmation: no page load', async (t, db) => {
  const { app, url } = await startLiveApp(t, { db })
  const browser = await launchChromium(t)
  await addQuestion(app, 'Existing question?', -2, ['One'])
  const page = await (await browser.newContext()).newPage()
  const consoleErrors: string[] = []
  page.on('console', (m) => { if (m.type() === 'error' && !/status of 4(09|22)/.test(m.text())) consoleErrors.push(m.text()) })
  await logIn(page, url, 'alice')
  await page.goto(`${url}/admin/questions/`)
  let loads = 0
  page.on('load', () => { loads++ })
  await page.evaluate(() => { (window as unknown as { survivor: number }).survivor = 7 })

  // Add, with a fourth choice row from "Add another choice"; the third row stays empty (ignored).
  await page.getByText('Add question').click()
  await page.getByLabel('Question text').fill('Which editor?')
  await page.getByRole('textbox', { name: 'Choice 1' }).fill('Vim')
  await page.getByRole('textbox', { name: 'Choice 2' }).fill('Emacs')
  await page.getByRole('button', { name: 'Add another choice' }).click()
  await page.getByRole('textbox', { name: 'Choice 4' }).fill('Nano')
  await page.locator('#question-add').getByRole('button', { name: 'Save' }).click()
  await page.getByText('The question “Which editor?” was added successfully.').waitFor()
  const row = page.locator('#questions-table tr', { hasText: 'Which editor?' })
  await row.waitFor()
  t.match(await row.innerText(), /Which editor\?[\s\S]*\b3\b/, 'the row appears with 3 choices')
  t.match(await page.locator('#questions-table .count').innerText(), /2 questions/)

  // Inline edit: Edit → inputs in the row → Save → the row again.
  await page.getByRole('link', { name: 'Edit “Which editor?”' }).click()
  const input = page.locator('tr.editing input[name="question_text"]')
  await input.fill('Which editor, really?')
  await page.locator('tr.editing').getByRole('button', { name: 'Save' }).click()
  await page.locator('#questions-table tr', { hasText: 'Which editor, really?' }).waitFor()
  t.equal(await page.locator('tr.editing').count(), 0, 'back to a view row')

  // Live search: the table narrows as the admin types, and the URL follows.
  await page.getByLabel('Search').fill('really')
  await page.waitForURL(/\?q=really/)
  await page.locator('#questions-table .count', { hasText: '1 question' }).waitFor()
  t.equal(await page.locator('#questions-table tbody tr').count(), 1)

  // Delete with confirmation: the dialog names the choices and votes.
  let dialogText = ''
  page.once('dialog', (dialog) => { dialogText = dialog.message(); void dialog.accept() })
  await page.getByRole('link', { name: 'Delete “Which editor, really?”' }).click()
  await page.getByText('was deleted successfully, with 3 choices and 0 votes').waitFor()
  t.equal(dialogText, 'Delete “Which editor, really?” with its 3 choices and 0 votes?')
  t.equal((await app.admin.questions.listQuestions({ search: '', date: 'any', sort: 'text', descending: false, page: 1 })).total, 1)

  t.equal(loads, 0, 'no page load in the whole session')
  t.equal(await page.evaluate(() => (window as unknown as { survivor?: number }).survivor), 7, 'window state survived')
  t.same(consoleErrors, [])
})

eachDatabase('sort and page links replace the table in place (their target comes from the table)', async (t, db) => {
  const { app, url } = await startLiveApp(t, { db })
  const browser = await launchChromium(t)
  for (let i = 0; i < 60; i++) await addQuestion(app, `Question ${String(i).padStart(2, '0')}?`, -1 - i, ['A'])
  const page = await (await browser.newContext()).newPage()
  await logIn(page, url, 'alice')
  await page.goto(`${url}/admin/questions/`)
  let loads = 0
  page.on('load', () => { loads++ })

  await page.getByRole('link', { name: 'Next ›' }).click()
  await page.waitForURL(/\?page=2/)
  await page.getByText('Page 2 of 2').waitFor()
  t.equal(await page.locator('#questions-table tbody tr').count(), 10, 'the second page')
  await page.getByRole('link', { name: 'Question text' }).click()
  await page.waitForURL(/\?o=text/)
  await page.getByText('Page 1 of 2').waitFor()
  t.equal(await page.locator('#questions-table tbody tr th').first().innerText(), 'Question 00?', 'sorted by text')
  t.equal(await page.locator('#questions-table').count(), 1, 'one table, not one inside another')
  t.equal(loads, 0, 'no page load')
})
