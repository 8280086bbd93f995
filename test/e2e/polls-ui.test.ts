// The voting, results, list, archive and presenter pages in a real browser (issue 15): sizes, marks,
// live updates, no sideways scroll on a phone, axe-clean light and dark. The list and archive, whose
// counts, "You voted" and pages come from each database's own queries, run on both databases; the rest
// is layout drawn from tallies that vote, no-js and live-results already check on both (SQLite only).
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import type { Page } from 'playwright-core'
import { addQuestion } from '../helpers/app.ts'
import { seriousViolations } from '../helpers/axe.ts'
import { eachDatabase, sqlRows } from '../helpers/databases.ts'
import { launchChromium, logIn, startLiveApp } from '../helpers/live-app.ts'
import { SCREEN_SIZES } from '../helpers/screenshots.ts'

const pageWidth = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth)

/** Voters made up in the database (as their first sign-in would), to give the bars something to show. */
async function makeVoters (app: FastifyInstance, n: number): Promise<number[]> {
  const voters: number[] = []
  for (let i = 0; i < n; i++) {
    const user = await app.users.recordLogin({ sub: `voter-${i}`, username: `voter${i}`, email: `voter${i}@example.com`, firstName: 'Voter', lastName: String(i), role: 'user' })
    voters.push(user.id)
  }
  return voters
}

t.test('vote: tall tappable choices, "Your vote" and "Change vote" once voted, marked in the results too', async (t) => {
  const { app, url } = await startLiveApp(t)
  const browser = await launchChromium(t)
  const q = await addQuestion(app, 'Coffee or tea?', -1, ['Coffee', 'Tea', 'Water'])
  for (const [size, viewport] of Object.entries(SCREEN_SIZES)) {
    const page = await (await browser.newContext({ viewport })).newPage()
    await logIn(page, url, 'bob')
    await page.goto(`${url}/polls/${q.id}/`)
    const heights = await page.locator('label.choice').evaluateAll((labels) => labels.map((l) => l.getBoundingClientRect().height))
    t.ok(heights.every((h) => h >= 44), `${size}: every choice at least 44 px high (${heights.join(', ')} px)`)
    const button = await page.getByRole('button', { name: 'Vote', exact: true }).boundingBox()
    t.ok((button?.height ?? 0) >= 44, `${size}: the Vote button ${button?.height} px high`)
    t.equal(await page.locator('.badge-mine').count(), 0, 'no "Your vote" before voting')
    t.ok(await pageWidth(page) <= viewport.width, `${size}: no sideways scroll`)

    // The whole row is the target: a click on the text, far from the radio, picks the choice.
    await page.locator('label.choice', { hasText: 'Tea' }).click({ position: { x: 300, y: 10 } })
    await page.getByRole('button', { name: 'Vote', exact: true }).click()
    await page.getByText('Your vote for “Tea” is counted.').waitFor()
    t.match(await page.locator('label.choice.current').innerText(), /Tea[\s\S]*Your vote/, 'the current choice is marked')
    t.ok(await page.getByRole('button', { name: 'Change vote' }).isVisible(), 'the button now says Change vote')
    t.match(await page.locator(`#question-${q.id}-results .result.mine`).innerText(), /Tea — 1 vote[\s\S]*Your vote/, 'and the staff results mark it')

    await page.reload()
    t.ok(await page.getByRole('button', { name: 'Change vote' }).isVisible(), 'still Change vote after a reload')
    t.equal(await page.getByRole('radio', { name: /Tea/ }).isChecked(), true)
    await page.context().close()
    await sqlRows(app, 'delete from votes')
  }
})

t.test('results: bars use the width, count and percentage, one lead mark (or one tie line), total, your choice', async (t) => {
  const { app, url } = await startLiveApp(t)
  const browser = await launchChromium(t)
  const clear = await addQuestion(app, 'Clear winner?', -1, ['Alpha', 'Beta', 'Gamma'])
  const tie = await addQuestion(app, 'A tie?', -1, ['Left', 'Right', 'Centre'])
  const voters = await makeVoters(app, 10)
  const cast = async (qid: number, choiceIds: number[], counts: number[]) => {
    let v = 0
    for (const [i, n] of counts.entries()) for (let k = 0; k < n; k++) await app.polls.castVote(voters[v++] as number, qid, choiceIds[i] as number)
  }
  await cast(clear.id, clear.choices.map((c) => c.id), [6, 3, 1])
  await cast(tie.id, tie.choices.map((c) => c.id), [4, 4, 2])
  await app.polls.castVote((await app.users.userBySub('dev-bob'))?.id ?? 0, clear.id, clear.choices[1]?.id ?? 0).catch(() => undefined)

  for (const scheme of ['light', 'dark'] as const) {
    for (const [size, viewport] of Object.entries(SCREEN_SIZES)) {
      const page = await (await browser.newContext({ viewport, colorScheme: scheme, bypassCSP: true })).newPage()
      await logIn(page, url, 'bob')
      await app.polls.castVote((await app.users.userBySub('dev-bob'))?.id ?? 0, clear.id, clear.choices[1]?.id ?? 0)
      await page.goto(`${url}/polls/${clear.id}/results/`)
      const results = page.locator(`#question-${clear.id}-results`)
      const text = await results.innerText()
      t.match(text, /Alpha — 6 votes[\s\S]*55%[\s\S]*Beta — 4 votes[\s\S]*36%[\s\S]*Gamma — 1 vote\b[\s\S]*9%/, `${size}/${scheme}: counts and percentages`)
      t.notMatch(text, /--/, 'real dashes, not --')
      t.match(text, /Total: 11 votes/)
      t.equal(await results.locator('.badge-leading').count(), 1, 'the leader marked once')
      t.match(await results.locator('.result.leading').innerText(), /Alpha/)
      t.match(await results.locator('.result.mine').innerText(), /Beta[\s\S]*Your vote/, 'the viewer\'s own choice marked')
      const [bar, list] = await Promise.all([
        results.locator('progress').first().evaluate((el) => el.getBoundingClientRect().width),
        results.locator('.result-list').evaluate((el) => el.getBoundingClientRect().width)
      ])
      t.ok(bar >= list * 0.95, `${size}: the bar is ${Math.round(bar)} of ${Math.round(list)} px (the whole width)`)
      t.ok(await pageWidth(page) <= viewport.width, `${size}: no sideways scroll`)
      t.same(await seriousViolations(page), [], `results (${size}, ${scheme}): axe-clean`)

      await page.goto(`${url}/polls/${tie.id}/results/`)
      const tied = page.locator(`#question-${tie.id}-results`)
      t.equal(await tied.locator('.badge-leading').count(), 0, 'a tie singles no choice out')
      t.equal(await tied.locator('.tie').innerText(), 'Tied for the lead: Left and Right, with 4 votes each.', 'and says so once')
      await page.context().close()
    }
  }
})

eachDatabase('list and archive: vote counts, "You voted", dates in words, pages; the section marked in the navigation', async (t, db) => {
  const { app, url } = await startLiveApp(t, { db })
  const browser = await launchChromium(t)
  for (let i = 0; i < 24; i++) await addQuestion(app, `Old question ${String(i).padStart(2, '0')}?`, -10 - i, ['A'])
  const today = await addQuestion(app, 'Today\'s question?', 0, ['Yes', 'No'])
  for (const scheme of ['light', 'dark'] as const) {
    const page = await (await browser.newContext({ viewport: SCREEN_SIZES.phone, colorScheme: scheme, bypassCSP: true })).newPage()
    await logIn(page, url, 'carol')
    await page.goto(`${url}/polls/${today.id}/`)
    await page.getByRole('radio', { name: 'Yes' }).check()
    await page.getByRole('button', { name: /vote/i }).click()
    await page.getByText('is counted').waitFor()

    await page.goto(`${url}/polls/`)
    const first = page.locator('.poll-item').first()
    t.match(await first.innerText(), /Today's question\?[\s\S]*1 vote\b[\s\S]*today[\s\S]*You voted/, `${scheme}: count, date in words, voted state`)
    t.equal(await page.locator('.poll-item').count(), 5, 'the five latest')
    t.equal(await page.locator('.badge-voted').count(), 1, 'only the poll she voted on says so')
    t.equal(await page.getByRole('link', { name: 'Latest' }).getAttribute('aria-current'), 'page', 'Latest is marked current')
    t.ok(await pageWidth(page) <= SCREEN_SIZES.phone.width, 'no sideways scroll')
    t.same(await seriousViolations(page), [], `latest polls (${scheme}): axe-clean`)

    await page.getByRole('link', { name: /^All polls, older ones included/ }).click()
    await page.waitForURL(`${url}/polls/archive/`)
    t.equal(await page.getByRole('link', { name: 'All polls' }).getAttribute('aria-current'), 'page', 'All polls is marked current')
    t.equal(await page.locator('.poll-item').count(), 20, 'a page of 20')
    t.match(await page.locator('.poll-item').nth(19).innerText(), /\d{1,2} [A-Z][a-z]+ \d{4}/, 'older dates written out')
    t.same(await seriousViolations(page), [], `archive (${scheme}): axe-clean`)
    await page.getByRole('link', { name: 'Older ›' }).click()
    await page.waitForURL(/\?page=2/)
    t.equal(await page.locator('.poll-item').count(), 5, 'the other 5 on page 2')
    t.match(await page.locator('.pagination').innerText(), /Page 2 of 2/)
    await page.getByRole('link', { name: '‹ Newer' }).click()
    await page.waitForURL(`${url}/polls/archive/`)

    await page.goto(`${url}/`)
    const headings = await page.locator('main h2').allInnerTexts()
    t.same(headings, ['Latest polls', 'Who may see what'], 'the home page leads with the polls')
    await page.context().close()
  }
})

t.test('presenter view: staff only, large live results, QR code and short link, nobody\'s own vote', async (t) => {
  const { app, url } = await startLiveApp(t)
  const browser = await launchChromium(t)
  const q = await addQuestion(app, 'Ready for the demo?', -1, ['Yes', 'Not yet'])
  const [voter] = await makeVoters(app, 1)
  for (const scheme of ['light', 'dark'] as const) {
    const page = await (await browser.newContext({ viewport: SCREEN_SIZES.desktop, colorScheme: scheme, bypassCSP: true })).newPage()
    await logIn(page, url, 'bob')
    await app.polls.castVote((await app.users.userBySub('dev-bob'))?.id ?? 0, q.id, q.choices[0]?.id ?? 0)
    await page.goto(`${url}/polls/${q.id}/results/`)
    await page.getByRole('link', { name: 'Presenter view (full screen)' }).click()
    await page.waitForURL(`${url}/polls/${q.id}/present/`)
    t.equal(await page.locator('.site-header').count(), 0, 'no site header on the projector')
    const h1 = await page.locator('h1').evaluate((el) => parseFloat(getComputedStyle(el).fontSize))
    t.ok(h1 >= 48, `large type: the question at ${h1} px`)
    t.equal(await page.locator('.qr svg').count(), 1, 'a QR code, as inline SVG')
    t.equal(await page.locator('.short-link a').getAttribute('href'), `${url}/polls/${q.id}/`, 'and the poll\'s address')
    t.equal(await page.locator('.badge-mine').count(), 0, 'the presenter\'s own vote is not shown')
    t.same(await seriousViolations(page), [], `presenter (${scheme}): axe-clean`)

    const results = page.locator(`#question-${q.id}-results`)
    const before = await results.innerText()
    await app.polls.castVote(voter as number, q.id, q.choices[1]?.id ?? 0)
    await results.getByText('Not yet — 1 vote').waitFor({ timeout: 10_000 })
    t.not(await results.innerText(), before, 'a new vote shows without a reload')
    t.equal(await page.locator('.badge-mine').count(), 0, 'still nobody\'s own vote after the live update')
    await sqlRows(app, 'delete from votes where user_id = ?', [voter])

    await page.setViewportSize(SCREEN_SIZES.phone)
    t.ok(await pageWidth(page) <= SCREEN_SIZES.phone.width, 'fits a phone too')
    await page.context().close()
  }
  const carol = await (await browser.newContext()).newPage()
  await logIn(carol, url, 'carol')
  const refused = await carol.goto(`${url}/polls/${q.id}/present/`)
  t.equal(refused?.status(), 403, 'a user without the staff role is refused')
  const noJs = await (await browser.newContext({ javaScriptEnabled: false })).newPage()
  await logIn(noJs, url, 'bob')
  await noJs.goto(`${url}/polls/${q.id}/present/`)
  // Without scripting, <noscript> in the head is parsed as markup: the refresh is a real meta element.
  t.equal(await noJs.locator('head meta[http-equiv="refresh"]').getAttribute('content'), '5', 'without JavaScript it reloads itself')
})
