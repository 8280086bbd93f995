import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { setTimeout as sleep } from 'node:timers/promises'
import { APP_URL, CLIENT, TestBrowser, buildTestAppFor } from '../helpers/app.ts'
import { startHostileProvider, type Misbehaviour } from '../helpers/hostile-provider.ts'

// The OpenID Foundation's relying-party certification cases (Basic RP profile, code flow), replayed
// against a provider that misbehaves on purpose. Each bad answer must be refused with a clear page
// and leave nothing behind; key rotation must be followed.

function stored (app: FastifyInstance) {
  const count = (table: string) => (app.db.$client.prepare(`select count(*) as n from ${table}`).get() as { n: number }).n
  return { users: count('users'), sessions: count('sessions') }
}

async function logIn (app: FastifyInstance) {
  const browser = new TestBrowser(app)
  return browser.follow(await browser.get('/oidc/authenticate/?next=%2Fuser'))
}

t.test('ID token and userinfo cases: each refused with a clear page, nothing stored', async (t) => {
  const op = await startHostileProvider(t)
  const { app, serverErrors } = await buildTestAppFor(t, op.issuer)
  const now = Math.floor(Date.now() / 1000)
  const cases: Array<[string, Misbehaviour]> = [
    ['rp-id_token-sig-none (alg none)', { signing: 'none' }],
    ['rp-id_token-bad-sig-rs256 (signature does not verify)', { signing: 'forged' }],
    ['rp-id_token-kid unknown and not in the JWKS', { signing: 'stranger' }],
    ['HS256 keyed with the client secret', { signing: 'hs256' }],
    ['rp-id_token-issuer-mismatch', { claims: { iss: 'https://evil.example' } }],
    ['rp-id_token-aud (another audience)', { claims: { aud: 'someone-else' } }],
    ['several audiences and no azp', { claims: { aud: [CLIENT.clientId, 'other'] } }],
    ['several audiences and azp of another client', { claims: { aud: [CLIENT.clientId, 'other'], azp: 'other' } }],
    ['one audience and azp of another client', { claims: { azp: 'other' } }],
    ['expired', { claims: { iat: now - 7200, exp: now - 3600 } }],
    ['rp-id_token-iat in the future', { claims: { iat: now + 3600, exp: now + 7200 } }],
    ['rp-nonce-invalid (wrong nonce)', { claims: { nonce: 'not-the-one-sent' } }],
    ['missing nonce', { claims: { nonce: undefined } }],
    ['missing sub', { claims: { sub: undefined } }],
    ['rp-userinfo-bad-sub-claim (userinfo sub differs)', { userinfoSub: 'someone-else' }]
  ]
  for (const [name, misbehaviour] of cases) {
    op.misbehave = misbehaviour
    const page = await logIn(app)
    t.equal(page.status, 400, `${name}: refused`)
    t.match(page.body, /could not be verified/, `${name}: the page says why`)
    t.match(page.body, /Log in again/, `${name}: and offers a new login`)
    t.same(stored(app), { users: 0, sessions: 0 }, `${name}: nothing stored`)
  }
  op.misbehave = {}
  t.equal((await logIn(app)).status, 200, 'the same provider behaving: accepted')
  t.same(serverErrors, [])
})

t.test('a renewal whose userinfo names another subject ends the session', async (t) => {
  const op = await startHostileProvider(t)
  const { app, serverErrors } = await buildTestAppFor(t, op.issuer)
  const browser = new TestBrowser(app)
  t.equal((await browser.follow(await browser.get('/oidc/authenticate/?next=%2Fuser'))).status, 200, 'signed in')
  t.not((app.db.$client.prepare('select refresh_token as r from sessions').get() as { r: string | null }).r, null, 'with a refresh token')
  op.misbehave = { userinfoSub: 'someone-else' }
  app.db.$client.prepare('update sessions set renew_at = 0').run()
  const tokenCallsBefore = op.hits.token ?? 0
  t.match((await browser.get('/user')).body, /You are not signed in/, 'the renewal does not keep the sign-in')
  t.equal(op.hits.token, tokenCallsBefore + 1, 'the renewal did reach the provider (a refresh, no new ID token)')
  t.same(stored(app), { users: 1, sessions: 0 }, 'the session ended')
  t.same(serverErrors, [])
})

t.test('rp-response_type-code state mismatch: restarted once, then refused; the code is never exchanged', async (t) => {
  const op = await startHostileProvider(t)
  const { app, serverErrors } = await buildTestAppFor(t, op.issuer)
  op.misbehave = { state: 'not-the-state-we-sent' }
  const page = await logIn(app)
  t.equal(page.status, 400)
  t.match(page.body, /expired or was already used/)
  t.match(page.body, /Log in again/)
  t.equal(op.hits.token, 0, 'no code was exchanged')
  t.same(stored(app), { users: 0, sessions: 0 })
  t.same(serverErrors, [])
})

t.test('code replay: a used code is refused at the token endpoint, and the app shows a clear page', async (t) => {
  const op = await startHostileProvider(t)
  const { app, serverErrors } = await buildTestAppFor(t, op.issuer)
  const browser = new TestBrowser(app)
  // Two logins pending in one browser (two tabs): the second tab's callback carries the first's code.
  const tab1 = await browser.get('/oidc/authenticate/?next=%2Fuser')
  const tab2 = await browser.get('/oidc/authenticate/?next=%2Fpolls%2F')
  const callback1 = new URL(String((await browser.get(String(tab1.headers.location))).headers.location))
  const callback2 = new URL(String((await browser.get(String(tab2.headers.location))).headers.location))
  t.equal((await browser.follow(await browser.get(callback1.href))).url, `${APP_URL}/user`, 'the first tab signs in')
  const code1 = callback1.searchParams.get('code') ?? ''
  const replay = await browser.get(`/oidc/callback/?code=${encodeURIComponent(code1)}&state=${encodeURIComponent(callback2.searchParams.get('state') ?? '')}`)
  t.equal(replay.status, 400)
  t.match(replay.body, /did not accept this sign-in/)
  t.same(op.replayedCodes, [code1], 'the provider saw the replay and refused it')
  t.same(stored(app), { users: 1, sessions: 0 }, 'no session from the replay (and the failed login signed this browser out)')
  t.same(serverErrors, [])
})

t.test('signing keys: kid absent, several keys, rotation; JWKS and discovery fetched with a bound', async (t) => {
  const op = await startHostileProvider(t)
  const cooldownMs = 300
  const { app, serverErrors } = await buildTestAppFor(t, op.issuer, { build: { providerCaching: { jwksCooldownMs: cooldownMs } } })
  for (let i = 0; i < 5; i++) t.equal((await logIn(app)).status, 200, `login ${i + 1} accepted`)
  t.same([op.hits.discovery, op.hits.jwks], [1, 1], 'five logins: discovery and JWKS fetched once each')

  op.misbehave = { omitKid: true }
  t.equal((await logIn(app)).status, 200, 'rp-id_token-kid-absent-single-jwks: accepted with the only key')
  await op.useKeys('key-1', 'key-2')
  await sleep(cooldownMs + 50)
  // OpenID allows either answer here (reject, or try the keys); jose tries each key that fits.
  t.equal((await logIn(app)).status, 200, 'rp-id_token-kid-absent-multiple-jwks: accepted by trying the published keys')

  op.misbehave = {}
  await op.useKeys('key-3') // rotation: a key the app has never seen
  await sleep(cooldownMs + 50)
  const fetchesBefore = op.hits.jwks ?? 0
  t.equal((await logIn(app)).status, 200, 'rp-key-rotation-op-sign-key: the new kid is accepted')
  t.equal(op.hits.jwks, fetchesBefore + 1, 'after fetching the JWKS again exactly once')
  t.equal(op.hits.discovery, 1, 'discovery still fetched once')
  t.same(serverErrors, [])
})

t.test('discovery is cached with a bound: stale metadata is fetched again in the background', async (t) => {
  const op = await startHostileProvider(t)
  // Long enough for two logins on a loaded machine, short enough to wait for.
  const maxAgeMs = 1500
  const { app, serverErrors } = await buildTestAppFor(t, op.issuer, { build: { providerCaching: { discoveryMaxAgeMs: maxAgeMs } } })
  t.equal((await logIn(app)).status, 200)
  t.equal((await logIn(app)).status, 200)
  t.equal(op.hits.discovery, 1, 'fresh metadata: one fetch for two logins')
  await sleep(maxAgeMs + 50)
  t.equal((await logIn(app)).status, 200, 'a login with stale metadata goes on with it')
  t.equal((await logIn(app)).status, 200)
  t.equal(op.hits.discovery, 2, 'and the metadata was fetched again once')
  t.same(serverErrors, [])
})

t.test('a stream of made-up kids does not become a stream of JWKS fetches', async (t) => {
  const op = await startHostileProvider(t)
  const { app, serverErrors } = await buildTestAppFor(t, op.issuer) // the default 30 s cooldown
  t.equal((await logIn(app)).status, 200)
  op.misbehave = { signing: 'stranger' }
  for (let i = 0; i < 5; i++) t.equal((await logIn(app)).status, 400, `made-up kid ${i + 1}: refused`)
  t.equal(op.hits.jwks, 1, 'no JWKS fetch for them within the cooldown')
  t.same(serverErrors, [])
})
