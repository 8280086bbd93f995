import t from 'tap'
import { buildTestApp } from '../helpers/app.ts'

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
