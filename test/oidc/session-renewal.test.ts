import t from 'tap'
import { OUTAGE_GRACE_MS } from '../../src/sign-in/renew.ts'
import type { FastifyInstance } from 'fastify'
import { APP_URL, TestBrowser, addQuestion, buildTestApp, startTestProvider } from '../helpers/app.ts'
import { eachDatabase, sqlRows, sqlRow, sqlValue } from '../helpers/databases.ts'

const HTMX = { 'hx-request': 'true' }

function sessionRows (app: FastifyInstance) {
  return sqlRows<{ id: string, userId: number, renewAt: number, lastSeenAt: number, refreshToken: string | null }>(app,
    'select id, user_id as "userId", renew_at as "renewAt", last_seen_at as "lastSeenAt", refresh_token as "refreshToken" from sessions')
}

/** Plays the renewal interval having passed, without waiting for it. */
async function renewalDue (app: FastifyInstance) {
  await sqlRows(app, 'update sessions set renew_at = ?', [new Date(0)])
}

/** Plays the provider having last confirmed the sign-in `ms` ago. */
async function confirmedAgo (app: FastifyInstance, ms: number) {
  await sqlRows(app, 'update sessions set checked_at = ?', [new Date(Date.now() - ms)])
}

async function lastSeen (app: FastifyInstance): Promise<number> {
  return (await sessionRows(app))[0]?.lastSeenAt ?? 0
}

const RENEW_AFTER_MS = 900_000

eachDatabase('without a refresh token, a due page GET re-checks silently (prompt=none) and returns to the page', async (t, db) => {
  const provider = await startTestProvider(t, { refreshTokens: false })
  const { app, serverErrors } = await buildTestApp(t, { db, provider })
  const q = await addQuestion(app, 'Cats or dogs?', -1, ['Cats', 'Dogs'])
  const carol = new TestBrowser(app)
  await carol.login('carol')
  const [before] = await sessionRows(app)
  t.equal(before?.refreshToken, null, 'no refresh token was given')
  t.ok((before?.renewAt ?? 0) > Date.now() + 800_000, 'renewal due in OIDC_RENEW_ID_TOKEN_EXPIRY_SECONDS (900 s)')
  const token = await carol.csrfToken(`/polls/${q.id}/`)

  await renewalDue(app)
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
  const [after] = await sessionRows(app)
  t.not(after?.id, before?.id, 'a new session row')
  t.ok((after?.renewAt ?? 0) > Date.now() + 800_000, 'next renewal in 900 s')
  t.same(serverErrors, [])
})

eachDatabase('a sign-in past its re-check changes nothing: votes go through the re-check and back, asking to send again', async (t, db) => {
  const provider = await startTestProvider(t, { refreshTokens: false })
  const { app, serverErrors } = await buildTestApp(t, { db, provider })
  const q = await addQuestion(app, 'Cats or dogs?', -1, ['Cats', 'Dogs'])
  const carol = new TestBrowser(app)
  await carol.login('carol')
  const token = await carol.csrfToken(`/polls/${q.id}/`)
  await renewalDue(app)
  const seenBefore = Date.now() - 120_000
  await sqlRows(app, 'update sessions set last_seen_at = ?', [new Date(seenBefore)])
  const vote = { choice: String(q.choices[0]?.id) }
  const pageUrl = `${APP_URL}/polls/${q.id}/`
  const throughRecheck = `/oidc/refresh/?next=${encodeURIComponent(`/polls/${q.id}/`)}&resubmit=1`

  const htmx = await carol.post(`/polls/${q.id}/vote/`, vote, { ...HTMX, 'x-csrf-token': token, 'hx-current-url': pageUrl })
  t.equal(htmx.status, 204, 'htmx: not served')
  t.equal(htmx.headers['hx-redirect'], throughRecheck, 'the whole page goes through the re-check')
  const plain = await carol.post(`/polls/${q.id}/vote/`, { ...vote, _csrf: token }, { referer: pageUrl })
  t.equal(plain.status, 303, 'a plain form: see other')
  t.equal(plain.headers.location, throughRecheck)
  t.same((await app.polls.tallyVotes(q.id)).map((c) => c.votes), [0, 0], 'no vote stored on the unchecked sign-in')
  t.equal(await lastSeen(app), seenBefore, 'and the refused posts did not count as activity')

  const back = await carol.follow(plain)
  t.equal(back.url, pageUrl, 'back on the page after the re-check')
  t.match(back.body, /Please send the form again/, 'which says to send the form again')
  t.notMatch(back.body, /you are now signed in/)
  const again = await carol.post(`/polls/${q.id}/vote/`, vote, { ...HTMX, 'x-csrf-token': await carol.csrfToken(`/polls/${q.id}/`) })
  t.equal(again.status, 200, 'sent again on the confirmed sign-in: served')
  t.same((await app.polls.tallyVotes(q.id)).map((c) => c.votes), [1, 0])
  t.same(serverErrors, [])
})

eachDatabase('an admin whose roles were removed cannot change anything once the re-check is due, without refresh tokens', async (t, db) => {
  const provider = await startTestProvider(t, { refreshTokens: false })
  const { app, serverErrors } = await buildTestApp(t, { db, provider, env: { OIDC_REFRESH_TOKENS: 'false' } })
  const q = await addQuestion(app, 'Keep me?', -1)
  const alice = new TestBrowser(app)
  await alice.login('alice')
  const token = await alice.csrfToken('/admin/')
  const aliceAtProvider = provider.users.get('alice')
  if (aliceAtProvider === undefined) throw new Error('alice missing')
  aliceAtProvider.roles = []
  await renewalDue(app)

  const remove = await alice.post(`/admin/questions/${q.id}/delete/`, { _csrf: token, back: '/admin/questions/' }, { referer: `${APP_URL}/admin/questions/` })
  t.equal(remove.status, 303, 'the delete is not served')
  t.match(String(remove.headers.location), /^\/oidc\/refresh\//)
  t.equal((await app.polls.tallyVotes(q.id)).length, 2, 'the question is still there')
  const refused = await alice.follow(remove)
  t.equal(refused.status, 403, 'the re-check finds no role: refused')
  t.same(await sessionRows(app), [], 'and her session ended')
  t.same(serverErrors, [])
})

eachDatabase(`a provider outage: state changes are served for ${OUTAGE_GRACE_MS / 60_000} minutes past the re-check, reads after that too`, async (t, db) => {
  const { app, provider, serverErrors } = await buildTestApp(t, { db })
  const q = await addQuestion(app, 'Tea or coffee?', -1, ['Tea', 'Coffee'])
  const carol = new TestBrowser(app)
  await carol.login('carol')
  const hx = { ...HTMX, 'x-csrf-token': await carol.csrfToken(`/polls/${q.id}/`), 'hx-current-url': `${APP_URL}/polls/${q.id}/` }
  await provider.close()

  await renewalDue(app)
  await confirmedAgo(app, RENEW_AFTER_MS + 60_000)
  const within = await carol.post(`/polls/${q.id}/vote/`, { choice: String(q.choices[0]?.id) }, hx)
  t.equal(within.status, 200, 'a minute past the re-check, the provider down: the vote is served')
  t.same((await app.polls.tallyVotes(q.id)).map((c) => c.votes), [1, 0])
  t.ok(((await sessionRows(app))[0]?.renewAt ?? 0) > Date.now(), 'the renewal was tried, and is tried again later')

  await confirmedAgo(app, RENEW_AFTER_MS + OUTAGE_GRACE_MS + 10_000)
  const seenBefore = Date.now() - 120_000
  await sqlRows(app, 'update sessions set last_seen_at = ?', [new Date(seenBefore)])
  const past = await carol.post(`/polls/${q.id}/vote/`, { choice: String(q.choices[1]?.id) }, hx)
  t.equal(past.status, 204, 'past the grace: not served')
  t.equal(past.headers['hx-redirect'], `/oidc/refresh/?next=${encodeURIComponent(`/polls/${q.id}/`)}&resubmit=1`)
  t.same((await app.polls.tallyVotes(q.id)).map((c) => c.votes), [1, 0], 'nothing changed')
  t.equal(await lastSeen(app), seenBefore, 'not counted as activity')
  const read = await carol.get('/user')
  t.equal(read.status, 200, 'reads are still served while the provider is down')
  t.match(read.body, /<dd>carol<\/dd>/)
  t.same(serverErrors, [])
})

eachDatabase('when the provider answers login_required, the session ends and the login returns to the page', async (t, db) => {
  const provider = await startTestProvider(t, { refreshTokens: false })
  const { app, serverErrors } = await buildTestApp(t, { db, provider })
  const carol = new TestBrowser(app)
  await carol.login('carol')
  carol.jar.clear(provider.issuer) // the provider's sign-in is gone (signed out there, or expired)
  await renewalDue(app)

  const page = await carol.get('/polls/?page=1')
  const atProvider = await carol.follow(page)
  t.equal(new URL(atProvider.url).origin, provider.issuer, 'at the provider to sign in again')
  t.match(atProvider.body, /Development sign-in/, 'the interactive sign-in page')
  t.same(await sessionRows(app), [], 'the old session ended when the provider said login_required')
  t.match((await carol.get('/user')).body, /You are not signed in/)

  const action = /action="([^"]*\/login)"/.exec(atProvider.body)?.[1] ?? ''
  const back = await carol.follow(await carol.post(new URL(action, atProvider.url).href, { username: 'carol' }))
  t.equal(back.url, `${APP_URL}/polls/?page=1`, 'and back where they were')
  t.match(back.body, /Hello carol, you are now signed in/)
  t.same(serverErrors, [])
})

eachDatabase('with a refresh token, renewal happens server to server (no redirect) and re-reads the roles', async (t, db) => {
  const { app, provider, serverErrors } = await buildTestApp(t, { db })
  const q = await addQuestion(app, 'Tea or coffee?', -1, ['Tea', 'Coffee'])
  const carol = new TestBrowser(app)
  await carol.login('carol')
  const [first] = await sessionRows(app)
  const sealed = first?.refreshToken ?? ''
  t.ok(sealed !== '', 'a refresh token is kept server-side')
  t.notMatch(carol.jar.header(new URL(APP_URL)), sealed.slice(0, 20), 'and never in the cookie')
  t.not(app.signIn.tokenBox.open(sealed), sealed, 'encrypted at rest')

  const user = provider.users.get('carol')
  if (user === undefined) throw new Error('carol missing')
  user.roles = ['user', 'staff'] // promoted at the provider
  t.equal((await carol.get(`/polls/${q.id}/results/`)).status, 403, 'before the renewal: still a user')
  await renewalDue(app)
  const results = await carol.get(`/polls/${q.id}/results/`)
  t.equal(results.status, 200, 'renewed by the request that found it due (no redirect) and now staff')
  t.equal((await app.users.userBySub('dev-carol'))?.role, 'staff')
  const [second] = await sessionRows(app)
  t.equal(second?.id, first?.id, 'the same session')
  t.ok((second?.renewAt ?? 0) > Date.now() + 800_000, 'next renewal in 900 s')
  t.not(app.signIn.tokenBox.open(second?.refreshToken ?? ''), app.signIn.tokenBox.open(sealed), 'the provider rotated the refresh token')

  // Several requests at once when a renewal is due: one renews, the others go on. A second use of a
  // rotated refresh token would make the provider revoke the grant, and the next renewal would fail.
  await renewalDue(app)
  const pages = await Promise.all(Array.from({ length: 8 }, async () => carol.get('/user')))
  t.same(pages.map((p) => p.status), Array(8).fill(200))
  t.ok(pages.every((p) => p.body.includes('<dd>carol</dd>')), 'all served signed in')
  await renewalDue(app)
  t.match((await carol.get('/user')).body, /<dd>staff<\/dd>/, 'the next renewal still works: the refresh token was used once')

  user.roles = [] // removed at the provider: takes effect at the next renewal, without a logout
  await renewalDue(app)
  const gone = await carol.get(`/polls/${q.id}/results/`, { ...HTMX, 'hx-current-url': `${APP_URL}/polls/${q.id}/` })
  t.equal(gone.status, 401, 'an htmx request of an ended session')
  t.equal(gone.headers['hx-redirect'], `/oidc/authenticate/?next=${encodeURIComponent(`/polls/${q.id}/`)}`, 'goes to the login as a whole page')
  t.same(await sessionRows(app), [], 'the session ended')
  t.same(serverErrors, [])
})

eachDatabase('a provider outage during renewal keeps the session, and retries later', async (t, db) => {
  const { app, provider, serverErrors } = await buildTestApp(t, { db })
  const carol = new TestBrowser(app)
  await carol.login('carol')
  await provider.close()
  await renewalDue(app)
  const page = await carol.get('/user')
  t.equal(page.status, 200)
  t.match(page.body, /<dd>carol<\/dd>/, 'still signed in while the provider is down')
  const [row] = await sessionRows(app)
  t.ok((row?.renewAt ?? 0) > Date.now() + 30_000 && (row?.renewAt ?? 0) < Date.now() + 120_000, 'tried again in about a minute')
  t.same(serverErrors, [])
})

eachDatabase('a refresh token no key opens is dropped: every later state change goes through the re-check', async (t, db) => {
  const { app, serverErrors } = await buildTestApp(t, { db })
  const q = await addQuestion(app, 'Cats or dogs?', -1, ['Cats', 'Dogs'])
  const carol = new TestBrowser(app)
  await carol.login('carol')
  const token = await carol.csrfToken(`/polls/${q.id}/`)
  t.ok((await sessionRows(app))[0]?.refreshToken, 'a refresh token was stored')
  // Sealed under a SESSION_SECRET rotated away; the re-check due, last confirmed within the outage grace.
  await sqlRows(app, 'update sessions set refresh_token = ?', ['AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'])
  await renewalDue(app)
  await confirmedAgo(app, RENEW_AFTER_MS + 1)
  const vote = { choice: String(q.choices[0]?.id) }
  const headers = { ...HTMX, 'x-csrf-token': token, 'hx-current-url': `${APP_URL}/polls/${q.id}/` }
  const statuses: number[] = []
  for (let i = 0; i < 3; i++) {
    const answer = await carol.post(`/polls/${q.id}/vote/`, vote, headers)
    statuses.push(answer.status)
    t.match(String(answer.headers['hx-redirect']), /^\/oidc\/refresh\/\?.*resubmit=1$/, `vote ${i + 1} is sent through the re-check`)
  }
  t.comment(`3 htmx votes on an unopenable refresh token: ${statuses.join(', ')}`)
  t.same(statuses, [204, 204, 204], 'none served')
  t.same((await app.polls.tallyVotes(q.id)).map((c) => c.votes), [0, 0], 'no vote stored')
  t.equal((await sessionRows(app))[0]?.refreshToken, null, 'the unusable token is gone')
  t.same(serverErrors, [])
})

eachDatabase('idle timeout and absolute lifetime end the session', async (t, db) => {
  const { app, serverErrors } = await buildTestApp(t, { db, env: { SESSION_IDLE_TIMEOUT_SECONDS: '600', SESSION_LIFETIME_SECONDS: '3600' } })
  const carol = new TestBrowser(app)
  const landed = await carol.login('carol', '/user')
  t.match(landed.body, /Hello carol, you are now signed in/, 'a flash message after login')
  const row = await sqlRow<{ createdAt: number, expiresAt: number }>(app, 'select created_at as "createdAt", expires_at as "expiresAt" from sessions')
  t.equal((row?.expiresAt ?? 0) - (row?.createdAt ?? 0), 3_600_000, 'absolute lifetime from SESSION_LIFETIME_SECONDS')

  // Activity is recorded, but at most once a minute.
  await sqlRows(app, 'update sessions set last_seen_at = ?', [new Date(Date.now() - 120_000)])
  await carol.get('/user')
  const seen = await sqlValue(app, 'select last_seen_at as v from sessions')
  t.ok(seen > Date.now() - 5000, 'a request after two minutes records activity')

  await sqlRows(app, 'update sessions set last_seen_at = ?', [new Date(Date.now() - 601_000)])
  t.match((await carol.get('/user')).body, /You are not signed in/, 'idle for longer than SESSION_IDLE_TIMEOUT_SECONDS')
  t.same(await sessionRows(app), [], 'and the row is gone')

  await carol.login('carol')
  await sqlRows(app, 'update sessions set expires_at = ?', [new Date(Date.now() - 1)])
  t.match((await carol.get('/user')).body, /You are not signed in/, 'past the absolute lifetime')
  t.same(serverErrors, [])
})

eachDatabase('a link from another site to the re-check cannot end a session that is not due', async (t, db) => {
  const provider = await startTestProvider(t, { refreshTokens: false })
  const { app, serverErrors } = await buildTestApp(t, { db, provider })
  const carol = new TestBrowser(app)
  await carol.login('carol')
  carol.jar.clear(provider.issuer) // the provider's sign-in is gone: a prompt=none would answer login_required
  const crossSite = { 'sec-fetch-site': 'cross-site', referer: 'https://evil.example/' }
  const landed = await carol.follow(await carol.get('/oidc/refresh/?next=%2Fuser', crossSite))
  t.equal(landed.url, `${APP_URL}/user`, 'straight to next: nothing to re-check')
  t.match(landed.body, /<dd>carol<\/dd>/, 'still signed in')
  t.equal((await sessionRows(app)).length, 1, 'the session is still there')
  t.same(serverErrors, [])
})
