import t from 'tap'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SignJWT, generateKeyPair } from 'jose'
import { APP_URL, TestBrowser, buildTestApp, buildTestAppFor, startTestProvider, type Page } from '../helpers/app.ts'
import { startHostileProvider } from '../helpers/hostile-provider.ts'
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

eachDatabase('logout tokens: exp required, a jti is used once across processes and nodes, typ logout+jwt, none ends a later session', async (t, db) => {
  const op = await startHostileProvider(t)
  // Two processes (or nodes) of one deployment: two apps on one database.
  const first = await buildTestAppFor(t, op.issuer, { db })
  const second = await buildTestAppFor(t, op.issuer, { env: { DATABASE_URL: first.app.config.databaseUrl } })
  const app = first.app
  const sessions = () => sqlValue(app, 'select count(*) as n from sessions')
  const post = (target: typeof app, token: string) => target.inject({
    method: 'POST', url: '/oidc/backchannel-logout/', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: `logout_token=${token}`
  })
  const browser = new TestBrowser(app)
  t.equal((await browser.follow(await browser.get('/oidc/authenticate/?next=%2Fuser'))).status, 200, 'signed in')
  t.equal((await sessions()), 1)

  const captured = await op.logoutToken()
  t.equal((await post(app, captured)).statusCode, 200, 'a good sub-only logout token is accepted')
  t.equal((await sessions()), 0, 'and ends the session')

  await new Promise((resolve) => setTimeout(resolve, 1100)) // the next session starts after the token's iat
  const again = new TestBrowser(app)
  t.equal((await again.follow(await again.get('/oidc/authenticate/?next=%2Fuser'))).status, 200, 'signed in again')
  for (const [label, target] of [['the same process', app], ['another process', second.app]] as const) {
    const replay = await post(target, captured)
    t.equal(replay.statusCode, 400, `the captured token replayed to ${label}: refused`)
    t.match(replay.json().error_description, /already used/)
  }
  t.equal((await sessions()), 1, 'the replays ended nothing')

  const now = Math.floor(Date.now() / 1000)
  for (const [label, claims, header] of [
    ['no exp', { exp: undefined }, {}],
    ['expired', { iat: now - 600, exp: now - 300 }, {}],
    ['typ JWT', {}, { typ: 'JWT' }],
    ['typ of an ID token', {}, { typ: 'id_token+jwt' }]
  ] as const) {
    const res = await post(app, await op.logoutToken(claims, header))
    t.equal(res.statusCode, 400, `${label}: refused`)
    t.equal((await sessions()), 1, `${label}: ends nothing`)
  }

  const older = await op.logoutToken({ iat: now - 120 })
  t.equal((await post(app, older)).statusCode, 200, 'a token issued before the session started is accepted')
  t.equal((await sessions()), 1, 'but does not end the later session')
  t.match((await again.get('/user')).body, /<dd>hostile<\/dd>/, 'still signed in')

  t.equal((await post(second.app, await op.logoutToken({}, { typ: undefined }))).statusCode, 200, 'without typ: accepted (typ is checked when present)')
  t.equal((await sessions()), 0, 'and ends the session, from the other process too')
  t.same([...first.serverErrors, ...second.serverErrors], [])
})
