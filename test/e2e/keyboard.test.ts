// Keyboard only (Tab, Shift+Tab, Space, Enter): voting and an inline admin edit, and where focus lands
// after each swap.
import type { Page } from 'playwright-core'
import { addQuestion } from '../helpers/app.ts'
import { eachDatabase } from '../helpers/databases.ts'
import { launchChromium, logIn, startLiveApp } from '../helpers/live-app.ts'

/** A short description of the focused element: tag, then its accessible-ish name. */
function focused (page: Page): Promise<string> {
  return page.evaluate(`(() => {
    const e = document.activeElement
    if (!e || e === document.body) return 'body'
    const name = e.getAttribute('aria-label') || (e.labels && e.labels[0] && e.labels[0].textContent) || e.textContent || e.getAttribute('value') || ''
    return e.tagName.toLowerCase() + (e.type ? '[' + e.type + ']' : '') + ' ' + name.replace(/\\s+/g, ' ').trim()
  })()`)
}

/** Presses Tab (or Shift+Tab) until the focused element's description matches; fails after `limit` presses. */
async function tabTo (page: Page, wanted: RegExp, { back = false, limit = 40 } = {}): Promise<string> {
  for (let i = 0; i < limit; i++) {
    await page.keyboard.press(back ? 'Shift+Tab' : 'Tab')
    const now = await focused(page)
    if (wanted.test(now)) return now
  }
  throw new Error(`${wanted} not reached with ${limit} presses of ${back ? 'Shift+Tab' : 'Tab'}; focus is on ${await focused(page)}`)
}

eachDatabase('voting by keyboard: focus on the error, then on the confirmation', async (t, db) => {
  const { app, url } = await startLiveApp(t, { db })
  const browser = await launchChromium(t)
  const q = await addQuestion(app, 'Keys or mouse?', -1, ['Keys', 'Mouse'])
  const page = await (await browser.newContext()).newPage()
  await logIn(page, url, 'bob')
  await page.goto(`${url}/polls/${q.id}/`)

  // Nothing chosen: Tab past the radios to the button, Enter → the error, focused.
  await tabTo(page, /^button\[submit\] Vote$/)
  await page.keyboard.press('Enter')
  await page.getByText('You didn\'t select a choice.').waitFor()
  t.match(await focused(page), /^p You didn't select a choice\.$/, 'focus on the error')

  // Back to the radios, Space picks one, Tab to Vote, Enter.
  await tabTo(page, /^input\[radio\] Keys$/)
  await page.keyboard.press('Space')
  t.ok(await page.getByRole('radio', { name: 'Keys' }).isChecked(), 'Space selects the choice')
  await tabTo(page, /^button\[submit\] Vote$/)
  await page.keyboard.press('Enter')
  await page.getByText('Your vote for “Keys” is counted.').waitFor()
  t.match(await focused(page), /^p Your vote for “Keys” is counted\.$/, 'focus on the confirmation')
  t.match(await page.locator(`#question-${q.id}-results`).innerText(), /Keys — 1 vote\b/, 'the results are right after it')

  // Keep going from there: the next Tab stops are in the results, not back at the top of the page.
  t.notMatch(await tabTo(page, /./), /Skip to content|Polls$/, 'the next Tab continues after the confirmation')
})

eachDatabase('inline edit by keyboard: Enter on Edit, type, Enter saves; focus back on the row\'s Edit', async (t, db) => {
  const { app, url } = await startLiveApp(t, { db })
  const browser = await launchChromium(t)
  await addQuestion(app, 'Typed by hand?', -1, ['Yes'])
  const page = await (await browser.newContext()).newPage()
  await logIn(page, url, 'alice')
  await page.goto(`${url}/admin/questions/`)

  await tabTo(page, /^a Edit “Typed by hand\?”$/)
  await page.keyboard.press('Enter')
  await page.locator('tr.editing').waitFor()
  t.match(await focused(page), /^input\[text\] Question text$/, 'focus in the row\'s text field')
  await page.keyboard.press('ControlOrMeta+a')
  await page.keyboard.type('Typed by keyboard?')
  await page.keyboard.press('Enter')
  await page.getByText('The question “Typed by keyboard?” was changed successfully.').waitFor()
  t.match(await focused(page), /^a Edit “Typed by keyboard\?”$/, 'after Save: focus on the row\'s Edit')

  // Edit again, Tab to Cancel, Enter: back to the view row, focus on Edit again.
  await page.keyboard.press('Enter')
  await page.locator('tr.editing').waitFor()
  await tabTo(page, /^a Cancel$/)
  await page.keyboard.press('Enter')
  await page.locator('tr.editing').waitFor({ state: 'detached' })
  t.match(await focused(page), /^a Edit “Typed by keyboard\?”$/, 'after Cancel: focus on the row\'s Edit')

  // Delete from the keyboard: Enter on Delete; the browser's own confirm() is answered through Playwright
  // (headless Chromium's native dialogs take no key presses). Focus lands on the outcome.
  page.once('dialog', (dialog) => { void dialog.accept() })
  await tabTo(page, /^a Delete “Typed by keyboard\?”$/)
  await page.keyboard.press('Enter')
  await page.getByText('was deleted successfully').waitFor()
  t.match(await focused(page), /^p The question “Typed by keyboard\?” was deleted successfully/, 'after Delete: focus on the message')
})
