import t from 'tap'
import { buildTestApp } from '../helpers/app.ts'

// The exact header set @fastify/helmet gives with our options (src/plugins/external/helmet.ts): pinned
// so that computing it once at start (not per request) provably sends the same headers everywhere.
const EXPECTED = {
  'content-security-policy': "default-src 'self';script-src 'self';style-src 'self';img-src 'self' data:;connect-src 'self';form-action 'self' PROVIDER;frame-ancestors 'none';base-uri 'none';object-src 'none'",
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'origin-agent-cluster': '?1',
  'referrer-policy': 'same-origin',
  'x-content-type-options': 'nosniff',
  'x-dns-prefetch-control': 'off',
  'x-download-options': 'noopen',
  'x-frame-options': 'SAMEORIGIN',
  'x-permitted-cross-domain-policies': 'none',
  'x-xss-protection': '0'
}

t.test('every response carries the security headers: pages, fragments, errors, static files, redirects', async (t) => {
  const { app, provider } = await buildTestApp(t)
  const providerOrigin = new URL(provider.issuer).origin
  for (const url of ['/', '/polls/', '/polls/999/', '/nowhere', '/static/css/app.css', '/static/vendor/htmx/htmx.min.js', '/healthz', '/admin/']) {
    const res = await app.inject({ url })
    for (const [name, value] of Object.entries(EXPECTED)) {
      t.equal(res.headers[name], value.replace('PROVIDER', providerOrigin), `${url}: ${name}`)
    }
    t.equal(res.headers['strict-transport-security'], undefined, `${url}: no HSTS on http`)
    t.equal(res.headers['x-powered-by'], undefined, `${url}: no X-Powered-By`)
  }
})

t.test('on https: HSTS, and the CSP upgrades insecure requests', async (t) => {
  const { app } = await buildTestApp(t, { env: { APP_URL: 'https://polls.test' } })
  for (const url of ['/polls/', '/static/css/app.css']) {
    const res = await app.inject({ url })
    t.equal(res.headers['strict-transport-security'], 'max-age=31536000; includeSubDomains', `${url}: HSTS`)
    t.match(res.headers['content-security-policy'], /;upgrade-insecure-requests$/, `${url}: upgrade-insecure-requests`)
  }
})
