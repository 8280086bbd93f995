// axe-core in real Chromium: no serious or critical violations on the main pages, light and dark.
import t from 'tap'
import { createRequire } from 'node:module'
import type { Page } from 'playwright-core'
import { seedDemoQuestions } from '../../src/db/seed.ts'
import { launchChromium, logIn, startLiveApp } from '../helpers/live-app.ts'

const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js')

async function seriousViolations (page: Page): Promise<string[]> {
  await page.addScriptTag({ path: axePath })
  const result = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (ctx: Document, opts: object) => Promise<{ violations: Array<{ id: string, impact: string, nodes: Array<{ target: string[] }> }> }> } }).axe
    return axe.run(document, { resultTypes: ['violations'] })
  })
  return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}) at ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`)
}

t.test('main pages have no serious or critical accessibility violations', async (t) => {
  const { app, url } = await startLiveApp(t)
  const browser = await launchChromium(t)
  const [q] = seedDemoQuestions(app.db)
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
