import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { APP_URL, TestBrowser, addQuestion, buildTestApp, startTestProvider } from '../helpers/app.ts'

const HTMX = { 'hx-request': 'true' }

function sessionRows (app: FastifyInstance) {
  return app.db.$client.prepare('select id, user_id as userId, renew_at as renewAt, last_seen_at as lastSeenAt, refresh_token as refreshToken from sessions')
    .all() as Array<{ id: string, userId: number, renewAt: number, lastSeenAt: number, refreshToken: string | null }>
}

/** Plays the renewal interval having passed, without waiting for it. */
function renewalDue (app: FastifyInstance) {
  app.db.$client.prepare('update sessions set renew_at = 0').run()
}

t.test('without a refresh token, a due page GET re-checks silently (prompt=none) and returns to the page', async (t) => {
  const provider = await startTestProvider(t, { refreshTokens: false })
  const { app, serverErrors } = await buildTestApp(t, { provider })
  const q = await addQuestion(app, 'Cats or dogs?', -1, ['Cats', 'Dogs'])
  const carol = new TestBrowser(app)
  await carol.login('carol')
  const [before] = sessionRows(app)
  t.equal(before?.refreshToken, null, 'no refresh token was given')
  t.ok((before?.renewAt ?? 0) > Date.now() + 800_000, 'renewal due in OIDC_RENEW_ID_TOKEN_EXPIRY_SECONDS (900 s)')
  const token = await carol.csrfToken(`/polls/${q.id}/`)

  renewalDue(app)
  // A POST is served while the renewal is due: no vote is lost to it.
  const vote = await carol.post(`/polls/${q.id}/vote/`, { choice: String(q.choices[0]?.id) }, { ...HTMX, 'x-csrf-token': token })
  t.equal(vote.status, 200)
  t.same((await app.polls.tallyVotes(q.id)).map((c) => c.votes), [1, 0], 'the vote is stored')
  // An htmx GET sends the whole page through the re-check, never a login page into the fragment.
  const fragment = await carol.get(`/polls/${q.id}/results/`, { ...HTMX, 'hx-current-url': `${APP_URL}/polls/${q.id}/` })
  t.equal(fragment.status, 204)
  t.equal(fragment.headers['hx-redirect'], `/oidc/refresh/?next=${encodeURIComponent(`/polls/${q.id}/`)}`)

  const page = await carol.get(`/polls/${q.id}/`)
  t.equal(page.status, 302)
  t.equal(page.headers.location, `/oidc/refresh/?next=${encodeURIComponent(`/polls/${q.id}/`)}`)
  const toProvider = await carol.get(String(page.headers.location))
  const authorize = new URL(String(toProvider.headers.location))
  t.equal(authorize.searchParams.get('prompt'), 'none', 'silent: the provider must not show anything')
  t.ok(authorize.searchParams.get('state') !== null && authorize.searchParams.get('nonce') !== null && authorize.searchParams.get('code_challenge') !== null, 'with state, nonce and PKCE')
  const back = await carol.follow(toProvider)
  t.equal(back.url, `${APP_URL}/polls/${q.id}/`, 'back on the same page')
  t.equal(back.status, 200)
  t.match(back.body, /Cats or dogs\?/)
  t.notMatch(back.body, /you are now signed in/, 'a renewal is silent: no "signed in" message')
  const [after] = sessionRows(app)
  t.not(after?.id, before?.id, 'a new session row')
  t.ok((after?.renewAt ?? 0) > Date.now() + 800_000, 'next renewal in 900 s')
  t.same(serverErrors, [])
})

t.test('when the provider answers login_required, the session ends and the login returns to the page', async (t) => {
  const provider = await startTestProvider(t, { refreshTokens: false })
  const { app, serverErrors } = await buildTestApp(t, { provider })
  const carol = new TestBrowser(app)
  await carol.login('carol')
  carol.jar.clear(provider.issuer) // the provider's sign-in is gone (signed out there, or expired)
  renewalDue(app)

  const page = await carol.get('/polls/?page=1')
  const atProvider = await carol.follow(page)
  t.equal(new URL(atProvider.url).origin, provider.issuer, 'at the provider to sign in again')
  t.match(atProvider.body, /Development sign-in/, 'the interactive sign-in page')
  t.same(sessionRows(app), [], 'the old session ended when the provider said login_required')
  t.match((await carol.get('/user')).body, /You are not signed in/)

  const action = /action="([^"]*\/login)"/.exec(atProvider.body)?.[1] ?? ''
  const back = await carol.follow(await carol.post(new URL(action, atProvider.url).href, { username: 'carol' }))
  t.equal(back.url, `${APP_URL}/polls/?page=1`, 'and back where they were')
  t.match(back.body, /Hello carol, you are now signed in/)
  t.same(serverErrors, [])
})

t.test('with a refresh token, renewal happens in the background and re-reads the roles', async (t) => {
  const { app, provider, serverErrors } = await buildTestApp(t)
  const q = await addQuestion(app, 'Tea or coffee?', -1, ['Tea', 'Coffee'])
  const carol = new TestBrowser(app)
  await carol.login('carol')
  const [first] = sessionRows(app)
  const sealed = first?.refreshToken ?? ''
  t.ok(sealed !== '', 'a refresh token is kept server-side')
  t.notMatch(carol.jar.header(new URL(APP_URL)), sealed.slice(0, 20), 'and never in the cookie')
  t.not(app.oidc.tokenBox.open(sealed), sealed, 'encrypted at rest')

  const user = provider.users.get('carol')
  if (user === undefined) throw new Error('carol missing')
  user.roles = ['user', 'staff'] // promoted at the provider
  t.equal((await carol.get(`/polls/${q.id}/results/`)).status, 403, 'before the renewal: still a user')
  renewalDue(app)
  const results = await carol.get(`/polls/${q.id}/results/`)
  t.equal(results.status, 200, 'renewed in the background (no redirect) and now staff')
  t.equal((await app.users.userBySub('dev-carol'))?.role, 'staff')
  const [second] = sessionRows(app)
  t.equal(second?.id, first?.id, 'the same session')
  t.ok((second?.renewAt ?? 0) > Date.now() + 800_000, 'next renewal in 900 s')
  t.not(app.oidc.tokenBox.open(second?.refreshToken ?? ''), app.oidc.tokenBox.open(sealed), 'the provider rotated the refresh token')

  // Several requests at once when a renewal is due: one renews, the others go on. A second use of a
  // rotated refresh token would make the provider revoke the grant, and the next renewal would fail.
  renewalDue(app)
  const pages = await Promise.all(Array.from({ length: 8 }, async () => carol.get('/user')))
  t.same(pages.map((p) => p.status), Array(8).fill(200))
  t.ok(pages.every((p) => p.body.includes('<dd>carol</dd>')), 'all served signed in')
  renewalDue(app)
  t.match((await carol.get('/user')).body, /<dd>staff<\/dd>/, 'the next renewal still works: the refresh token was used once')

  user.roles = [] // removed at the provider: takes effect at the next renewal, without a logout
  renewalDue(app)
  const gone = await carol.get(`/polls/${q.id}/results/`, { ...HTMX, 'hx-current-url': `${APP_URL}/polls/${q.id}/` })
  t.equal(gone.status, 401, 'an htmx request of an ended session')
  t.equal(gone.headers['hx-redirect'], `/oidc/authenticate/?next=${encodeURIComponent(`/polls/${q.id}/`)}`, 'goes to the login as a whole page')
  t.same(sessionRows(app), [], 'the session ended')
  t.same(serverErrors, [])
})

t.test('a provider outage during renewal keeps the session, and retries later', async (t) => {
  const { app, provider, serverErrors } = await buildTestApp(t)
  const carol = new TestBrowser(app)
  await carol.login('carol')
  await provider.close()
  renewalDue(app)
  const page = await carol.get('/user')
  t.equal(page.status, 200)
  t.match(page.body, /<dd>carol<\/dd>/, 'still signed in while the provider is down')
  const [row] = sessionRows(app)
  t.ok((row?.renewAt ?? 0) > Date.now() + 30_000 && (row?.renewAt ?? 0) < Date.now() + 120_000, 'tried again in about a minute')
  t.same(serverErrors, [])
})

t.test('idle timeout and absolute lifetime end the session', async (t) => {
  const { app, serverErrors } = await buildTestApp(t, { env: { SESSION_IDLE_TIMEOUT_SECONDS: '600', SESSION_LIFETIME_SECONDS: '3600' } })
  const carol = new TestBrowser(app)
  const landed = await carol.login('carol', '/user')
  t.match(landed.body, /Hello carol, you are now signed in/, 'a flash message after login')
  const row = app.db.$client.prepare('select created_at as createdAt, expires_at as expiresAt from sessions').get() as { createdAt: number, expiresAt: number }
  t.equal(row.expiresAt - row.createdAt, 3_600_000, 'absolute lifetime from SESSION_LIFETIME_SECONDS')

  // Activity is recorded, but at most once a minute.
  app.db.$client.prepare('update sessions set last_seen_at = ?').run(Date.now() - 120_000)
  await carol.get('/user')
  const seen = (app.db.$client.prepare('select last_seen_at as v from sessions').get() as { v: number }).v
  t.ok(seen > Date.now() - 5000, 'a request after two minutes records activity')

  app.db.$client.prepare('update sessions set last_seen_at = ?').run(Date.now() - 601_000)
  t.match((await carol.get('/user')).body, /You are not signed in/, 'idle for longer than SESSION_IDLE_TIMEOUT_SECONDS')
  t.same(sessionRows(app), [], 'and the row is gone')

  await carol.login('carol')
  app.db.$client.prepare('update sessions set expires_at = ?').run(Date.now() - 1)
  t.match((await carol.get('/user')).body, /You are not signed in/, 'past the absolute lifetime')
  t.same(serverErrors, [])
})
