import t from 'tap'
import { SignJWT, generateKeyPair } from 'jose'
import { APP_URL, TestBrowser, buildTestApp, startTestProvider, type Page } from '../helpers/app.ts'
import { eachDatabase, sqlRows, sqlRow, sqlValue } from '../helpers/databases.ts'
import { freePort } from '../helpers/free-port.ts'

const HTMX = { 'hx-request': 'true' }

/** Presses "Sign out" on the provider's confirmation page and follows where it leads. */
async function confirmSignOut (browser: TestBrowser, confirm: Page): Promise<Page> {
  const action = /<form[^>]*action="([^"]+)"/.exec(confirm.body)?.[1]
  const xsrf = /name="xsrf" value="([^"]+)"/.exec(confirm.body)?.[1]
  if (action === undefined || xsrf === undefined) throw new Error(`no sign-out form at ${confirm.url}: ${confirm.body.slice(0, 300)}`)
  return browser.follow(await browser.post(new URL(action, confirm.url).href, { xsrf, logout: 'yes' }))
}

eachDatabase('signing out at the provider ends the app sessions of that sign-in (Back-Channel Logout 1.0)', async (t, db) => {
  // The provider POSTs to the app over real HTTP, so the app listens on a port it knows in advance.
  const port = await freePort()
  const provider = await startTestProvider(t, { backchannelLogoutUri: `http://127.0.0.1:${port}/oidc/backchannel-logout/` })
  const { app, serverErrors } = await buildTestApp(t, { db, provider })
  await app.listen({ port, host: '127.0.0.1' })

  // Two browsers, two sign-ins at the provider: only the one signed out there must end.
  const laptop = new TestBrowser(app)
  const phone = new TestBrowser(app)
  await laptop.login('bob', '/user')
  await phone.login('bob', '/user')
  const sids = await sqlRows<{ sid: string | null }>(app, 'select provider_sid as sid from sessions')
  t.equal(sids.length, 2)
  t.ok(sids.every((s) => typeof s.sid === 'string' && s.sid !== ''), 'each session knows its provider sid')
  t.not(sids[0]?.sid, sids[1]?.sid)

  // The laptop signs out at the provider itself (not through the app).
  const done = await confirmSignOut(laptop, await laptop.get(`${provider.issuer}/session/end`))
  t.equal(done.status, 200, 'signed out at the provider')

  t.match((await laptop.get('/user')).body, /You are not signed in/, 'the laptop session ended although its cookie is still held')
  const htmx = await laptop.get('/polls/', { ...HTMX, 'hx-current-url': `${APP_URL}/polls/` })
  t.equal(htmx.status, 200, 'public fragment still served')
  const guarded = await laptop.get('/admin/', HTMX)
  t.equal(guarded.status, 401, 'htmx request of the ended session')
  t.match(String(guarded.headers['hx-redirect']), /^\/oidc\/authenticate\//, 'answered with HX-Redirect to the login')
  t.match((await phone.get('/user')).body, /<dd>bob<\/dd>/, 'the phone, a different sign-in, is still signed in')
  t.same(serverErrors, [])
})

eachDatabase('the back-channel endpoint refuses tokens it cannot trust, and ends nothing', async (t, db) => {
  const { app, provider, serverErrors } = await buildTestApp(t, { db })
  const bob = new TestBrowser(app)
  await bob.login('bob', '/user')
  const count = () => sqlValue(app, 'select count(*) as n from sessions')
  const stranger = await generateKeyPair('RS256')
  const now = Math.floor(Date.now() / 1000)
  const forged = await new SignJWT({ sub: 'dev-bob', jti: 'j1', events: { 'http://schemas.openid.net/event/backchannel-logout': {} } })
    .setProtectedHeader({ alg: 'RS256', kid: 'not-the-providers', typ: 'logout+jwt' })
    .setIssuer(provider.issuer).setAudience('polls-test').setIssuedAt(now).setExpirationTime(now + 120)
    .sign(stranger.privateKey)
  const post = (payload: string, contentType = 'application/x-www-form-urlencoded') =>
    app.inject({ method: 'POST', url: '/oidc/backchannel-logout/', headers: { 'content-type': contentType }, payload })

  for (const [label, payload] of [
    ['a token signed by someone else', `logout_token=${forged}`],
    ['garbage', 'logout_token=not-a-jwt'],
    ['no token', 'something=else']
  ] as const) {
    const res = await post(payload)
    t.equal(res.statusCode, 400, `${label} → 400`)
    t.equal(res.headers['cache-control'], 'no-store')
    t.equal(await count(), 1, `${label} ends no session`)
  }
  t.equal((await app.inject({ method: 'GET', url: '/oidc/backchannel-logout/' })).statusCode, 404, 'POST only')
  t.match((await bob.get('/user')).body, /<dd>bob<\/dd>/, 'bob is still signed in')
  t.same(serverErrors, [])
})

eachDatabase('logging out through the app leaves a message on the home page', async (t, db) => {
  const { app, serverErrors } = await buildTestApp(t, { db })
  const bob = new TestBrowser(app)
  await bob.login('bob', '/user')
  const toProvider = await bob.post('/oidc/logout/', { _csrf: await bob.csrfToken('/user') })
  const home = await confirmSignOut(bob, await bob.follow(toProvider))
  t.equal(home.url, `${APP_URL}/`)
  t.match(home.body, /You have been logged out\./)
  t.notMatch((await bob.get('/')).body, /You have been logged out\./, 'shown once')
  t.same(serverErrors, [])
})
