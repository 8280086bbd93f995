import t from 'tap'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { APP_URL, TestBrowser, buildTestApp } from '../helpers/app.ts'

t.test('each role logs in through the real provider and lands on next', async (t) => {
  const { app, serverErrors } = await buildTestApp(t)
  for (const [username, role] of [['alice', 'admin'], ['bob', 'staff'], ['carol', 'user']] as const) {
    const browser = new TestBrowser(app)
    const landed = await browser.login(username, '/user')
    t.equal(landed.url, `${APP_URL}/user`, `${username} lands on next`)
    t.equal(landed.status, 200)
    t.match(landed.body, `<dd>${username}</dd>`)
    t.match(landed.body, `<dd>${username}@example.com</dd>`)
    t.match(landed.body, `<dd>${role}</dd>`)
    const user = await app.users.userBySub(`dev-${username}`)
    t.equal(user?.role, role, `${username} stored as ${role}`)
    t.equal(user?.username, username)
    t.ok(user?.lastLogin instanceof Date, 'last login recorded')
  }
  t.same(serverErrors, [])
})

t.test('a user without a role is refused, with no account and no session', async (t) => {
  const { app } = await buildTestApp(t)
  const browser = new TestBrowser(app)
  const page = await browser.login('dave', '/polls/')
  t.equal(page.status, 403)
  t.match(page.body, /Your account has no role in this application/)
  t.equal(await app.users.userBySub('dev-dave'), undefined, 'no account created')
  const profile = await browser.get('/user')
  t.match(profile.body, /You are not signed in/)
})

t.test('roles are re-read at every login: promotion, demotion, removal', async (t) => {
  const { app, provider } = await buildTestApp(t)
  const carol = provider.users.get('carol')
  if (carol === undefined) throw new Error('carol missing')

  await new TestBrowser(app).login('carol')
  t.equal((await app.users.userBySub('dev-carol'))?.role, 'user')

  carol.roles = ['user', 'staff']
  carol.email = 'carol@new.example.com'
  await new TestBrowser(app).login('carol')
  t.equal((await app.users.userBySub('dev-carol'))?.role, 'staff', 'promoted to the highest role')
  t.equal((await app.users.userBySub('dev-carol'))?.email, 'carol@new.example.com', 'profile refreshed')

  carol.roles = ['user']
  await new TestBrowser(app).login('carol')
  t.equal((await app.users.userBySub('dev-carol'))?.role, 'user', 'demoted')

  carol.roles = []
  const refused = await new TestBrowser(app).login('carol')
  t.equal(refused.status, 403, 'refused once the role is gone')
  t.match(refused.body, /no role/)
})

t.test('the login starts with state, nonce and PKCE S256, and sets a fresh, hardened session', async (t) => {
  const { app } = await buildTestApp(t)
  const browser = new TestBrowser(app)
  const start = await browser.get('/oidc/authenticate/?next=%2Fpolls%2F')
  const before = browser.jar.get(APP_URL, 'polls_session')
  t.ok(before, 'the pending login lives in the session cookie')
  t.equal(start.status, 302)
  const auth = new URL(String(start.headers.location))
  t.equal(auth.searchParams.get('response_type'), 'code')
  t.equal(auth.searchParams.get('code_challenge_method'), 'S256')
  t.match(auth.searchParams.get('code_challenge'), /^[\w-]{43}$/)
  t.match(auth.searchParams.get('state'), /^[\w-]{20,}$/)
  t.match(auth.searchParams.get('nonce'), /^[\w-]{20,}$/)
  t.equal(auth.searchParams.get('redirect_uri'), `${APP_URL}/oidc/callback/`)
  t.equal(auth.searchParams.get('scope'), 'openid email profile offline_access')

  const signIn = await browser.follow(start)
  const action = /action="([^"]*\/login)"/.exec(signIn.body)?.[1] ?? ''
  let page = await browser.post(new URL(action, signIn.url).href, { username: 'carol' })
  while (page.status >= 300 && page.status < 400 && !String(page.headers.location).startsWith(APP_URL)) {
    page = await browser.get(new URL(String(page.headers.location), page.url).href)
  }
  const callback = await browser.get(String(page.headers.location))
  t.equal(callback.status, 302)
  t.equal(callback.headers.location, '/polls/')
  const cookies = ([] as string[]).concat(callback.headers['set-cookie'] ?? [])
  const session = cookies.find((c) => c.startsWith('polls_session='))
  t.ok(session, 'session cookie set')
  t.match(session, /HttpOnly/)
  t.match(session, /SameSite=Lax/)
  t.match(session, /Path=\//)
  t.match(session, /Max-Age=\d+/)
  const after = browser.jar.get(APP_URL, 'polls_session') ?? ''
  t.not(after, before, 'a new session cookie at login')
  t.ok(after.length < 250, `the cookie holds only the session id, no tokens (${after.length} characters)`)
  t.notMatch(callback.body + JSON.stringify(callback.headers), /eyJ/, 'no token in the response')

  // The same callback again (back button, double click) changes nothing: the person is signed in already.
  const replay = await browser.get(String(page.headers.location))
  t.equal(replay.status, 302)
  t.equal(replay.headers.location, '/')
  t.equal(browser.jar.get(APP_URL, 'polls_session'), after, 'still the same session')
})

t.test('Secure cookies when APP_URL is https; no cookie at all for anonymous pages', async (t) => {
  const { app } = await buildTestApp(t, { env: { APP_URL: 'https://polls.example.com' } })
  const home = await app.inject({ method: 'GET', url: '/polls/' })
  t.equal(home.headers['set-cookie'], undefined, 'visitors get no session cookie')
  t.notMatch(home.body, /csrf-token/, 'and no CSRF token')
  const res = await app.inject({ method: 'GET', url: '/oidc/authenticate/' })
  const cookies = ([] as string[]).concat(res.headers['set-cookie'] ?? [])
  t.equal(cookies.length, 1, 'one encrypted cookie carries state, nonce and PKCE verifier')
  t.match(cookies[0], /^polls_session=.*; Secure/)
  t.equal(res.headers['strict-transport-security'] !== undefined, true, 'HSTS on https')
})

t.test('provider errors and forged callbacks show a clear page, never a 500', async (t) => {
  const { app, serverErrors } = await buildTestApp(t)
  const browser = new TestBrowser(app)
  const forged = await browser.get('/oidc/callback/?error=access_denied&error_description=Call+0800+to+unlock&state=x')
  t.equal(forged.status, 403)
  t.match(forged.body, /The identity provider answered: access_denied/)
  t.notMatch(forged.body, /Call 0800 to unlock/, 'a made-up link cannot put its own words on the page')
  const started = await browser.get('/oidc/authenticate/')
  const state = new URL(String(started.headers.location)).searchParams.get('state') ?? ''
  const denied = await browser.get(`/oidc/callback/?error=access_denied&error_description=The+user+cancelled&state=${state}`)
  t.equal(denied.status, 403)
  t.match(denied.body, /The user cancelled/, 'the provider\'s description, for a login this browser started')
  // An unknown state (restored tab, stale link) restarts the login once; a second one shows the page.
  const restarted = await browser.get('/oidc/callback/?code=abc&state=never-issued')
  t.equal(restarted.status, 302)
  t.equal(restarted.headers.location, '/oidc/authenticate/?next=%2F', 'the login starts again')
  const unknownState = await browser.get('/oidc/callback/?code=abc&state=never-issued')
  t.equal(unknownState.status, 400)
  t.match(unknownState.body, /expired or was already used/)
  t.match(unknownState.body, /Log in again/)
  const nothing = await browser.get('/oidc/callback/')
  t.equal(nothing.status, 400)
  t.same(serverErrors, [])
})

t.test('logout ends the session and continues at the provider with id_token_hint', async (t) => {
  const { app, provider } = await buildTestApp(t)
  const browser = new TestBrowser(app)
  await browser.login('bob', '/polls/')
  const token = await browser.csrfToken('/polls/')
  const logout = await browser.post('/oidc/logout/', { _csrf: token })
  t.equal(logout.status, 303)
  const target = new URL(String(logout.headers.location))
  t.equal(target.origin, provider.issuer)
  t.equal(target.searchParams.get('client_id'), 'polls-test')
  t.equal(target.searchParams.get('post_logout_redirect_uri'), `${APP_URL}/`)
  t.match(target.searchParams.get('id_token_hint'), /^eyJ/)
  const after = await browser.get('/user')
  t.match(after.body, /You are not signed in/, 'session is gone')

  const signedIn = new TestBrowser(app)
  await signedIn.login('carol')
  const noToken = await signedIn.post('/oidc/logout/', {})
  t.equal(noToken.status, 403, 'logout without a CSRF token is refused')
  t.match((await signedIn.get('/user')).body, /<dd>carol<\/dd>/, 'and the session goes on')
  const anonymous = await new TestBrowser(app).post('/oidc/logout/', {})
  t.equal(anonymous.status, 303, 'signed-out visitors are just sent home')
  t.equal(anonymous.headers.location, '/')
})

t.test('sessions end server-side: logout, cookie replay, roles removed, refused login', async (t) => {
  const { app, provider } = await buildTestApp(t)

  const bob = new TestBrowser(app)
  await bob.login('bob')
  const stolen = bob.jar.get(APP_URL, 'polls_session') ?? ''
  await bob.post('/oidc/logout/', { _csrf: await bob.csrfToken('/') })
  const replay = new TestBrowser(app)
  replay.jar.set(APP_URL, 'polls_session', stolen)
  t.match((await replay.get('/user')).body, /You are not signed in/, 'a copy of the cookie taken before logout is worthless after it')

  const alice = new TestBrowser(app)
  await alice.login('alice')
  t.equal((await alice.get('/admin/')).status, 200)
  const aliceUser = provider.users.get('alice')
  if (aliceUser === undefined) throw new Error('alice missing')
  aliceUser.roles = []
  const refused = await new TestBrowser(app).login('alice')
  t.equal(refused.status, 403, 'her next login is refused')
  t.equal((await alice.get('/admin/')).status, 302, 'and her open session has ended too')

  const carol = new TestBrowser(app)
  await carol.login('carol')
  // A forged callback link neither signs in nor signs out (no logout CSRF through the callback).
  t.equal((await carol.get('/oidc/callback/?code=x&state=forged')).headers.location, '/')
  t.equal((await carol.get('/oidc/callback/?error=access_denied&state=forged')).headers.location, '/')
  t.match((await carol.get('/user')).body, /<dd>carol<\/dd>/, 'carol is still signed in')

  await carol.login('carol')
  carol.jar.clear(provider.issuer) // someone else signs in at the provider in this browser
  const landed = await carol.login('dave')
  t.equal(landed.status, 403, 'dave is refused')
  t.match((await carol.get('/user')).body, /You are not signed in/, 'and carol is not left signed in behind the refusal')
})

t.test('logins started in two tabs both complete', async (t) => {
  const { app } = await buildTestApp(t)
  const browser = new TestBrowser(app)
  const first = await browser.follow(await browser.get('/oidc/authenticate/?next=%2Fpolls%2F'))
  const second = await browser.follow(await browser.get('/oidc/authenticate/?next=%2Fuser'))
  const pick = (page: typeof first) => new URL(/action="([^"]*\/login)"/.exec(page.body)?.[1] ?? '', page.url).href
  const firstDone = await browser.follow(await browser.post(pick(first), { username: 'carol' }))
  t.equal(firstDone.url, `${APP_URL}/polls/`, 'the first tab lands where it started')
  const secondDone = await browser.follow(await browser.post(pick(second), { username: 'carol' }))
  t.equal(secondDone.url, `${APP_URL}/user`, 'and so does the second')
  t.match(secondDone.body, /<dd>carol<\/dd>/)
})

t.test('a callback that arrives without the trailing slash completes the login', async (t) => {
  const { app, serverErrors } = await buildTestApp(t)
  const browser = new TestBrowser(app)
  const atProvider = await browser.follow(await browser.get('/oidc/authenticate/?next=%2Fuser'))
  const action = new URL(/action="([^"]*\/login)"/.exec(atProvider.body)?.[1] ?? '', atProvider.url).href
  let step = await browser.post(action, { username: 'carol' })
  while (!String(step.headers.location).startsWith(`${APP_URL}/oidc/callback/`)) {
    t.ok(step.status >= 300 && step.status < 400, `redirected on the way back (${step.status})`)
    step = await browser.get(new URL(String(step.headers.location), step.url).href)
  }
  const callback = String(step.headers.location).replace('/oidc/callback/?', '/oidc/callback?')
  const landed = await browser.follow(await browser.get(callback))
  t.equal(landed.url, `${APP_URL}/user`, 'signed in and on next')
  t.match(landed.body, /<dd>carol<\/dd>/)
  t.same(serverErrors, [])
})

t.test('SESSION_SECRET rotation: with the new secret first and the old one after, nobody is logged out', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'polls-rotate-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const DATABASE_URL = join(dir, 'polls.db')
  const oldSecret = 'old-secret-old-secret-old-secret-0123456789'
  const newSecret = 'new-secret-new-secret-new-secret-0123456789'
  const before = await buildTestApp(t, { env: { DATABASE_URL, SESSION_SECRET: oldSecret } })
  const browser = new TestBrowser(before.app)
  await browser.login('carol')
  const cookie = browser.jar.get(APP_URL, 'polls_session') ?? ''

  const rotated = await buildTestApp(t, { provider: before.provider, env: { DATABASE_URL, SESSION_SECRET: `${newSecret},${oldSecret}` } })
  const during = new TestBrowser(rotated.app)
  during.jar.set(APP_URL, 'polls_session', cookie)
  t.match((await during.get('/user')).body, /<dd>carol<\/dd>/, 'the old cookie still works')

  const dropped = await buildTestApp(t, { provider: before.provider, env: { DATABASE_URL, SESSION_SECRET: newSecret } })
  const after = new TestBrowser(dropped.app)
  after.jar.set(APP_URL, 'polls_session', cookie)
  t.match((await after.get('/user')).body, /You are not signed in/, 'once the old secret is removed, its cookies end')
})
