// axe-core in real Chromium: no serious or critical violations on the main pages, light and dark.
import t from 'tap'
import { seedDemoQuestions } from '../../src/db/seed.ts'
import { seriousViolations } from '../helpers/axe.ts'
import { launchChromium, logIn, startLiveApp } from '../helpers/live-app.ts'

t.test('main pages have no serious or critical accessibility violations', async (t) => {
  const { app, url } = await startLiveApp(t)
  const browser = await launchChromium(t)
  const [q] = await seedDemoQuestions(app.store)
  for (const scheme of ['light', 'dark'] as const) {
    // bypassCSP lets the test inject axe; the app's own pages never run inline script.
    const page = await (await browser.newContext({ colorScheme: scheme, bypassCSP: true })).newPage()
    for (const path of ['/', '/polls/', '/user', '/no-such-page']) {
      await page.goto(`${url}${path}`)
      t.same(await seriousViolations(page), [], `${path} (${scheme}, signed out)`)
    }
    await logIn(page, url, 'alice')
    for (const path of ['/', `/polls/${q?.id}/`, `/polls/${q?.id}/results/`, '/user', '/admin/', '/admin/questions/', `/admin/questions/${q?.id}/`, `/admin/questions/${q?.id}/history/`, '/admin/users/']) {
      await page.goto(`${url}${path}`)
      t.same(await seriousViolations(page), [], `${path} (${scheme}, admin)`)
    }
    // Swapped fragments too: the vote confirmation with results, and an inline edit row.
    await page.goto(`${url}/polls/${q?.id}/`)
    await page.getByRole('radio').first().check()
    await page.getByRole('button', { name: 'Vote' }).click()
    await page.getByText('is counted').waitFor()
    t.same(await seriousViolations(page), [], `vote confirmation (${scheme})`)
    await page.goto(`${url}/admin/questions/`)
    await page.getByRole('link', { name: /^Edit “/ }).first().click()
    await page.locator('tr.editing').waitFor()
    t.same(await seriousViolations(page), [], `inline edit row (${scheme})`)
  }
})
