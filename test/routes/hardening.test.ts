import t from 'tap'
import { Writable } from 'node:stream'
import { APP_URL, TestBrowser, addQuestion, buildTestApp } from '../helpers/app.ts'

t.test('rate limits: logins per address, votes per user; 429 as a page or an htmx fragment', async (t) => {
  const { app, serverErrors } = await buildTestApp(t, { env: { RATE_LIMIT_LOGINS_PER_MINUTE: '3', RATE_LIMIT_VOTES_PER_MINUTE: '2' } })
  const q = await addQuestion(app, 'Limited?', -1, ['A', 'B'])
  const carol = new TestBrowser(app)
  await carol.login('carol') // the login start: 1 of 3 (the callback of her own login is not counted)
  const token = await carol.csrfToken(`/polls/${q.id}/`)
  const vote = () => carol.post(`/polls/${q.id}/vote/`, { choice: String(q.choices[0]?.id) }, { 'hx-request': 'true', 'x-csrf-token': token })
  t.equal((await vote()).status, 200)
  t.equal((await vote()).status, 200)
  const limited = await vote()
  t.equal(limited.status, 429, 'the third vote in a minute is refused')
  t.ok(Number(limited.headers['retry-after']) > 0, 'with Retry-After')
  t.match(limited.body, /Too many requests/)
  t.notMatch(limited.body, /<html/, 'a fragment for htmx')

  const bob = new TestBrowser(app)
  t.equal((await bob.get('/oidc/authenticate/')).status, 302, 'the second login start from this address')
  t.equal((await bob.get('/oidc/authenticate/')).status, 302, 'the third')
  const page = await bob.get('/oidc/authenticate/')
  t.equal(page.status, 429, 'the fourth in a minute is refused')
  t.match(page.body, /<html[\s\S]*Too many requests/, 'as a page')
  t.same(serverErrors, [])
})

t.test('TRUST_PROXY: the client address comes from X-Forwarded-For only when the proxy is trusted', async (t) => {
  const trusting = await buildTestApp(t, { env: { TRUST_PROXY: '127.0.0.1', RATE_LIMIT_LOGINS_PER_MINUTE: '1' } })
  const from = (ip: string) => trusting.app.inject({ url: '/oidc/authenticate/', headers: { 'x-forwarded-for': ip } })
  t.equal((await from('203.0.113.1')).statusCode, 302)
  t.equal((await from('203.0.113.2')).statusCode, 302, 'another client behind the proxy has its own limit')
  t.equal((await from('203.0.113.1')).statusCode, 429)

  const direct = await buildTestApp(t, { env: { RATE_LIMIT_LOGINS_PER_MINUTE: '1' } })
  t.equal((await direct.app.inject({ url: '/oidc/authenticate/', headers: { 'x-forwarded-for': '203.0.113.1' } })).statusCode, 302)
  t.equal((await direct.app.inject({ url: '/oidc/authenticate/', headers: { 'x-forwarded-for': '203.0.113.2' } })).statusCode, 429, 'without TRUST_PROXY the header is ignored')
})

t.test('logs never contain cookies, codes, tokens or secrets', async (t) => {
  const lines: string[] = []
  const logStream = new Writable({ write (chunk: Buffer, _enc, done) { lines.push(chunk.toString()); done() } })
  const { app } = await buildTestApp(t, { logStream, logLevel: 'trace' })
  const q = await addQuestion(app, 'Logged?', -1, ['A'])
  const browser = new TestBrowser(app)
  const landed = await browser.login('bob', `/polls/${q.id}/`)
  t.equal(landed.status, 200)
  const token = await browser.csrfToken(`/polls/${q.id}/`)
  await browser.post(`/polls/${q.id}/vote/`, { choice: String(q.choices[0]?.id) }, { 'hx-request': 'true', 'x-csrf-token': token, authorization: 'Bearer secret-bearer-token' })
  const cookie = browser.jar.header(new URL(APP_URL))
  await browser.get('/oidc/callback/?code=some-auth-code&state=forged-state')
  await browser.login('bob')
  await browser.post('/oidc/logout/', { _csrf: await browser.csrfToken('/') })
  const log = lines.join('')
  t.ok(lines.length > 20, `trace logs were captured (${lines.length} lines)`)
  for (const [label, pattern] of [
    ['a JWT (ID or access token)', /eyJ[\w-]{10,}/],
    ['the authorization code', /some-auth-code/],
    ['the state', /forged-state/],
    ['the CSRF token', new RegExp(token.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))],
    ['an authorization header', /secret-bearer-token/],
    ['the client secret', /polls-test-secret/],
    ['the session secret', /test-session-secret/],
    ['a cookie header', /polls_session=/],
    ['the session cookie value', new RegExp(cookie.replace(/^polls_session=/, '').slice(0, 40).replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))]
  ] as const) {
    t.notMatch(log, pattern, `no ${label} in the logs`)
  }
  t.not(cookie, '', 'the browser did hold cookies')
})
