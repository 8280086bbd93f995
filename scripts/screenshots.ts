// npm run screenshots: the README's pictures (docs/screenshots/), taken from the app as it is now, in
// Debian's chromium, at desktop and phone width, light and dark. Demo questions and votes from made-up
// voters; the signed-in pages are seen as bob (staff: vote and results) and alice (admin).
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { seedDemoQuestions } from '../src/db/seed.ts'
import { projectRoot } from '../src/paths.ts'
import { launchChromium, logIn, startLiveApp } from '../test/helpers/live-app.ts'
import { SCREEN_SIZES } from '../test/helpers/screenshots.ts'

const outDir = join(projectRoot, 'docs/screenshots')
const cleanups: Array<() => unknown> = []
const harness = { teardown: (fn: () => unknown) => { cleanups.push(fn) }, passing: () => true, fullname: 'screenshots' }

try {
  mkdirSync(outDir, { recursive: true })
  const { app, url } = await startLiveApp(harness)
  const browser = await launchChromium(harness)
  const [whatsUp, provider] = await seedDemoQuestions(app.store)
  if (whatsUp === undefined || provider === undefined) throw new Error('the demo questions were not created')
  // 23 made-up voters, so the bars have something to show: 12 / 8 / 3 and 9 / 9 / 5 (a tie).
  const insertVoter = app.db.$client.prepare("insert into users (sub, username, role, date_joined) values (?, ?, 'user', ?)")
  const voters = Array.from({ length: 23 }, (_, i) => Number(insertVoter.run(`demo-${i}`, `voter${i}`, Date.now()).lastInsertRowid))
  const spread = async (questionId: number, choiceIds: number[], counts: number[]) => {
    let v = 0
    for (const [i, n] of counts.entries()) {
      for (let k = 0; k < n; k++) await app.polls.castVote(voters[v++] as number, questionId, choiceIds[i] as number)
    }
  }
  const choicesOf = async (id: number) => (await app.polls.tallyVotes(id)).map((c) => c.id)
  await spread(whatsUp.id, await choicesOf(whatsUp.id), [12, 8, 3])
  await spread(provider.id, await choicesOf(provider.id), [9, 9, 5])
  const bobsChoice = (await choicesOf(whatsUp.id))[1] as number

  const shots: Array<{ name: string, user: string, path: string, before?: (page: import('playwright-core').Page) => Promise<void> }> = [
    { name: 'home', user: 'carol', path: '/' },
    { name: 'vote', user: 'bob', path: `/polls/${whatsUp.id}/` },
    { name: 'results', user: 'bob', path: `/polls/${whatsUp.id}/results/` },
    { name: 'presenter', user: 'bob', path: `/polls/${whatsUp.id}/present/` },
    { name: 'admin-questions', user: 'alice', path: '/admin/questions/' },
    { name: 'admin-users', user: 'alice', path: '/admin/users/' }
  ]
  for (const scheme of ['light', 'dark'] as const) {
    for (const [size, viewport] of Object.entries(SCREEN_SIZES)) {
      const context = await browser.newContext({ viewport, colorScheme: scheme })
      const pages = new Map<string, import('playwright-core').Page>()
      for (const user of ['alice', 'bob', 'carol']) {
        const page = user === 'alice' ? await context.newPage() : await (await browser.newContext({ viewport, colorScheme: scheme })).newPage()
        await logIn(page, url, user)
        pages.set(user, page)
      }
      // bob's own vote, so the vote page shows "Your vote" and "Change vote".
      await app.polls.castVote((await app.users.userBySub('dev-bob'))?.id ?? 0, whatsUp.id, bobsChoice)
      for (const shot of shots) {
        const page = pages.get(shot.user)
        if (page === undefined) continue
        await page.goto(`${url}${shot.path}`)
        await page.screenshot({ path: join(outDir, `${shot.name}-${size}-${scheme}.png`), fullPage: shot.name !== 'presenter' })
      }
      for (const page of pages.values()) await page.context().close()
    }
  }
  process.stdout.write(`${shots.length * 4} screenshots in ${outDir}\n`)
} finally {
  for (const fn of cleanups.reverse()) await fn()
}
