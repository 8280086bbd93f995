import t from 'tap'
import { Writable } from 'node:stream'
import { TestBrowser, addQuestion, buildTestApp } from '../helpers/app.ts'

t.test('healthz and readyz', async (t) => {
  const { app } = await buildTestApp(t)
  t.same((await app.inject('/healthz')).json(), { status: 'ok' })
  const ready = await app.inject('/readyz')
  t.equal(ready.statusCode, 200)
  t.same(ready.json(), { status: 'ready', database: true, provider: true })
})

t.test('readyz is 503 while the provider is unreachable, healthz stays 200', async (t) => {
  const { app } = await buildTestApp(t, { env: { OIDC_OP_BASE_URL: 'http://127.0.0.1:9', OIDC_HTTP_TIMEOUT_MS: '300' } })
  const ready = await app.inject('/readyz')
  t.equal(ready.statusCode, 503)
  t.same(ready.json(), { status: 'not ready', database: true, provider: false })
  t.equal((await app.inject('/healthz')).statusCode, 200)
})

t.test('every response carries a request id; a sane one from a proxy is kept', async (t) => {
  const { app } = await buildTestApp(t)
  const fresh = await app.inject('/polls/')
  t.match(fresh.headers['x-request-id'], /^[0-9a-f-]{36}$/)
  const kept = await app.inject({ url: '/polls/', headers: { 'x-request-id': 'edge-1234.abc' } })
  t.equal(kept.headers['x-request-id'], 'edge-1234.abc')
  const refused = await app.inject({ url: '/polls/', headers: { 'x-request-id': 'x'.repeat(500) } })
  t.match(refused.headers['x-request-id'], /^[0-9a-f-]{36}$/, 'an oversized id is replaced')
  t.match(fresh.headers['server-timing'], /^app;dur=[\d.]+$/)
})

t.test('access log: one line per request with request id, method, path, status and duration; no secrets', async (t) => {
  const lines: Array<Record<string, unknown>> = []
  const logStream = new Writable({ write (chunk: Buffer, _enc, done) { lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>); done() } })
  const { app } = await buildTestApp(t, { logStream, logLevel: 'info' })
  const q = await addQuestion(app, 'Logged?', -1, ['Yes', 'No'])
  const bob = new TestBrowser(app)
  await bob.login('bob')
  const token = await bob.csrfToken(`/polls/${q.id}/`)
  const cookie = bob.jar.header(new URL('http://polls.test/'))
  t.ok(cookie.length > 20, 'signed in')
  lines.length = 0

  const responses = [
    await bob.get('/polls/'),
    await bob.post(`/polls/${q.id}/vote/`, { choice: String(q.choices[0]?.id) }, { 'hx-request': 'true', 'x-csrf-token': token, authorization: 'Bearer not-for-logs' }),
    await bob.get('/no/such/page'),
    await bob.get('/oidc/callback/?code=authorization-code-not-for-logs&state=abc'),
    await bob.get('/static/css/app.css')
  ]
  const access = lines.filter((l) => l.msg === 'request completed')
  t.equal(access.length, responses.length, 'exactly one access line per request')
  t.same(lines.filter((l) => l.msg === 'incoming request'), [], 'not Fastify\'s second line per request')
  responses.forEach((res, i) => {
    const line = access[i] as { reqId: string, level: number, req: { method: string, url: string }, res: { statusCode: number }, responseTime: number }
    t.equal(line.reqId, res.headers['x-request-id'], `line ${i + 1}: the request id the client saw`)
    t.equal(line.level, 30, 'info')
    t.equal(line.res.statusCode, res.status, `line ${i + 1}: status ${res.status}`)
    t.equal(typeof line.responseTime, 'number', 'duration in ms')
    t.ok(line.responseTime >= 0)
  })
  t.same(access.map((l) => `${(l.req as { method: string }).method} ${(l.req as { url: string }).url}`),
    ['GET /polls/', `POST /polls/${q.id}/vote/`, 'GET /no/such/page', 'GET /oidc/callback/?…', 'GET /static/css/app.css'])
  t.ok(lines.every((l) => typeof l.reqId === 'string'), 'every line logged while serving carries the request id')
  const text = JSON.stringify(lines)
  for (const secret of ['not-for-logs', token, cookie]) t.notOk(text.includes(secret), 'no code, token, header or cookie in the log')
})
