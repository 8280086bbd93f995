// The admin console's layout in a real browser (issue 15): no sideways page scroll on a phone, nothing
// moves when a row is edited or a confirmation stands in for the table, and danger controls ask first.
// Deactivating writes, so those cases run on both databases; the rest is layout (SQLite only).
import t from 'tap'
import type { Page } from 'playwright-core'
import { addQuestion } from '../helpers/app.ts'
import { seriousViolations } from '../helpers/axe.ts'
import { eachDatabase } from '../helpers/databases.ts'
import { launchChromium, logIn, startLiveApp } from '../helpers/live-app.ts'
import { SCREEN_SIZES } from '../helpers/screenshots.ts'

const pageWidth = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth)
const mainWidth = (page: Page) => page.locator('main').evaluate((main) => main.getBoundingClientRect().width)
const headerWidths = (page: Page) => page.locator('#questions-table thead th').evaluateAll((cells) => cells.map((c) => Math.round(c.getBoundingClientRect().width)))
const background = (page: Page, selector: string) => page.locator(selector).evaluate((el) => getComputedStyle(el).backgroundColor)

t.test('at 390 px neither Questions nor Users scrolls sideways; tables scroll inside their box', async (t) => {
  const { app, url } = await startLiveApp(t)
  const browser = await launchChromium(t)
  await addQuestion(app, 'A question long enough to need wrapping on a phone, with words like internationalisation?', -1, ['A'])
  await addQuestion(app, 'Short?', -2, ['A', 'B'])
  for (const scheme of ['light', 'dark'] as const) {
    const page = await (await browser.newContext({ viewport: SCREEN_SIZES.phone, colorScheme: scheme, bypassCSP: true })).newPage()
    await logIn(page, url, 'alice')
    for (const path of ['/admin/', '/admin/questions/', '/admin/users/']) {
      await page.goto(`${url}${path}`)
      t.ok(await pageWidth(page) <= SCREEN_SIZES.phone.width, `${path} (${scheme}): page ${await pageWidth(page)} px wide at ${SCREEN_SIZES.phone.width} px`)
      t.same(await seriousViolations(page), [], `${path} at 390 px (${scheme}): axe-clean`)
    }
    await page.goto(`${url}/admin/questions/`)
    const box = page.locator('#questions-table .table-scroll')
    t.ok(await box.evaluate((el) => el.scrollWidth > el.clientWidth), 'the questions table scrolls inside its box')
  }
})

t.test('Delete selected is not red until a row is ticked; the confirmation keeps the page width', async (t) => {
  const { app, url } = await startLiveApp(t)
  const browser = await launchChromium(t)
  await addQuestion(app, 'Keep?', -2, ['A'])
  await addQuestion(app, 'Drop?', -1, ['A'])
  const page = await (await browser.newContext({ viewport: SCREEN_SIZES.desktop })).newPage()
  await logIn(page, url, 'alice')
  await page.goto(`${url}/admin/questions/`)
  const idle = await background(page, '.bulk-delete')
  t.equal(idle, 'rgba(0, 0, 0, 0)', 'outlined (transparent) with nothing selected')
  await page.getByRole('checkbox', { name: 'Select “Drop?”' }).check()
  t.not(await background(page, '.bulk-delete'), idle, 'filled once a row is ticked')

  const before = await mainWidth(page)
  await page.getByRole('button', { name: 'Delete selected questions' }).click()
  await page.getByRole('alertdialog').waitFor()
  t.equal(await mainWidth(page), before, `the confirmation keeps the page ${before} px wide`)
  await page.getByRole('button', { name: 'Yes, I’m sure' }).click()
  await page.getByText('Successfully deleted 1 question').waitFor()
  t.equal(await mainWidth(page), before, 'and so does the table after it')
})

t.test('inline edit keeps every column width', async (t) => {
  const { app, url } = await startLiveApp(t)
  const browser = await launchChromium(t)
  await addQuestion(app, 'Which column moves?', -1, ['A'])
  await addQuestion(app, 'Another row with a much longer question text than the first?', -2, ['A'])
  for (const viewport of Object.values(SCREEN_SIZES)) {
    const page = await (await browser.newContext({ viewport })).newPage()
    await logIn(page, url, 'alice')
    await page.goto(`${url}/admin/questions/`)
    const before = await headerWidths(page)
    await page.getByRole('link', { name: 'Edit “Which column moves?”' }).click()
    await page.locator('tr.editing').waitFor()
    t.same(await headerWidths(page), before, `${viewport.width} px: columns ${before.join('/')} px before and during the edit`)
    await page.locator('tr.editing').getByRole('link', { name: 'Cancel' }).click()
    await page.locator('tr.editing').waitFor({ state: 'detached' })
    t.same(await headerWidths(page), before, `${viewport.width} px: and after`)
  }
})

eachDatabase('Deactivate asks in the row first; Cancel puts the row back; Yes deactivates', async (t, db) => {
  const { app, url } = await startLiveApp(t, { db })
  const browser = await launchChromium(t)
  const page = await (await browser.newContext({ bypassCSP: true })).newPage()
  await logIn(page, url, 'alice')
  const carolPage = await (await browser.newContext()).newPage()
  await logIn(carolPage, url, 'carol')
  const carol = () => app.users.userBySub('dev-carol')
  await page.goto(`${url}/admin/users/`)
  let loads = 0
  page.on('load', () => { loads++ })
  const row = page.locator(`#user-row-${(await carol())?.id}`)
  t.equal(await background(page, `#user-row-${(await carol())?.id} button`), 'rgba(0, 0, 0, 0)', 'Deactivate… is not a solid red button')

  await row.getByRole('button', { name: 'Deactivate…' }).click()
  await page.getByRole('alertdialog', { name: 'Deactivate carol?' }).waitFor()
  t.ok((await carol())?.isActive, 'asking changes nothing')
  t.same(await seriousViolations(page), [], 'the in-row confirmation is axe-clean')
  await row.getByRole('link', { name: 'No, keep them active' }).click()
  await row.getByRole('button', { name: 'Deactivate…' }).waitFor()
  t.ok((await carol())?.isActive, 'cancelled: still active')

  await row.getByRole('button', { name: 'Deactivate…' }).click()
  await row.getByRole('button', { name: 'Yes, deactivate carol' }).click()
  await row.getByText('carol was deactivated.').waitFor()
  t.equal((await carol())?.isActive, false, 'deactivated after the confirmation')
  t.ok(await row.getByRole('button', { name: 'Reactivate' }).isVisible())
  t.equal(loads, 0, 'all in place')
})

eachDatabase('without JavaScript Deactivate is a confirmation page, then the list', async (t, db) => {
  const { app, url } = await startLiveApp(t, { db })
  const browser = await launchChromium(t)
  const page = await (await browser.newContext({ javaScriptEnabled: false })).newPage()
  await logIn(page, url, 'alice')
  const bobPage = await (await browser.newContext()).newPage()
  await logIn(bobPage, url, 'bob')
  await page.goto(`${url}/admin/users/`)
  await page.locator(`#user-row-${(await app.users.userBySub('dev-bob'))?.id}`).getByRole('button', { name: 'Deactivate…' }).click()
  await page.getByRole('heading', { level: 1, name: 'Deactivate bob?' }).waitFor()
  t.ok((await app.users.userBySub('dev-bob'))?.isActive, 'the page only asks')
  await page.getByRole('button', { name: 'Yes, deactivate bob' }).click()
  await page.getByText('bob was deactivated.').waitFor()
  t.equal(new URL(page.url()).pathname, '/admin/users/')
  t.equal((await app.users.userBySub('dev-bob'))?.isActive, false)
})
