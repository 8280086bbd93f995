// Signing in and out as a person does it: from the home page, through the provider's pages, and back.
import { eachDatabase } from '../helpers/databases.ts'
import { launchChromium, logIn, startLiveApp } from '../helpers/live-app.ts'

eachDatabase('each role logs in from the home page; the no-role user is refused; logout leaves nothing behind', async (t, db) => {
  const { url } = await startLiveApp(t, { db })
  const browser = await launchChromium(t)

  for (const [username, role] of [['alice', 'admin'], ['bob', 'staff'], ['carol', 'user']] as const) {
    const context = await browser.newContext()
    const page = await context.newPage()
    await logIn(page, url, username)
    t.match(await page.locator('.who').innerText(), new RegExp(`${username}\\s+${role}`, 'i'), `${username}: name and role in the header`)
    t.match(await page.getByRole('status').first().innerText(), `Hello ${username}, you are now signed in.`, `${username}: a message says so`)
    t.ok(await page.getByRole('button', { name: 'Log out' }).isVisible(), `${username}: with Log out`)
    await context.close()
  }

  const refused = await (await browser.newContext()).newPage()
  await refused.goto(`${url}/`)
  await refused.getByRole('link', { name: 'Log in' }).first().click()
  await refused.locator('form:has(input[name="username"][value="dave"]) button').click()
  await refused.getByRole('heading', { name: 'Sign-in refused' }).waitFor()
  t.match(await refused.locator('main').innerText(), /no role in this application/, 'dave sees why')
  t.notMatch(await refused.locator('header').innerText(), /Signed in as/, 'and is not signed in')

  const context = await browser.newContext()
  const page = await context.newPage()
  await logIn(page, url, 'carol')
  await page.goto(`${url}/user`)
  t.match(await page.locator('main').innerText(), /carol@example\.com/, 'the profile shows private data')
  await page.getByRole('button', { name: 'Log out' }).click()
  await page.getByRole('button', { name: 'Sign out' }).click() // the provider asks
  await page.waitForURL(`${url}/`)
  t.match(await page.getByRole('status').first().innerText(), 'You have been logged out.')
  t.ok(await page.getByRole('link', { name: 'Log in' }).first().isVisible(), 'signed out on the home page')
  // The back button, through the provider's page, to the profile seen before logging out: pages are
  // no-store, so the browser asks again and gets nothing private.
  for (let i = 0; i < 4 && page.url() !== `${url}/user`; i++) await page.goBack()
  t.equal(page.url(), `${url}/user`, 'back on the profile page')
  t.notMatch(await page.content(), /carol@example\.com/, 'no private data after logout, even through history')
  t.match(await page.locator('main').innerText(), /not signed in/)
})
