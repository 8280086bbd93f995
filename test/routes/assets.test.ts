import t from 'tap'
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { TestBrowser, buildTestApp } from '../helpers/app.ts'

t.test('pages link their assets by content hash; those URLs are cached for a year, the plain ones briefly', async (t) => {
  const { app } = await buildTestApp(t, { env: { NODE_ENV: 'production' } })
  const visitor = new TestBrowser(app)
  const page = await visitor.get('/polls/')
  t.equal(page.status, 200)
  const linked = [...page.body.matchAll(/(?:href|src)="(\/static\/[^"]+)"/g)].map((m) => m[1] as string)
  t.equal(linked.length, 4, 'icon, stylesheet, htmx and our script')
  const css = readFileSync(new URL('../../public/css/app.css', import.meta.url))
  const cssHash = createHash('sha256').update(css).digest('hex').slice(0, 10)
  t.ok(linked.includes(`/static/css/app.${cssHash}.css`), 'the stylesheet\'s URL names its content')
  for (const url of linked) {
    const res = await visitor.get(url)
    t.equal(res.status, 200, url)
    t.equal(res.headers['cache-control'], 'public, max-age=31536000, immutable', `${url}: cached for a year`)
    t.ok(res.headers['etag'] !== undefined || res.headers['last-modified'] !== undefined, `${url}: revalidatable`)
  }
  const plain = await visitor.get('/static/css/app.css')
  t.equal(plain.status, 200)
  t.equal(plain.headers['cache-control'], 'public, max-age=3600', 'the plain URL: an hour')
  t.equal(plain.body, css.toString(), 'the same file')
  t.equal((await visitor.get(`/static/css/app.${'0'.repeat(10)}.css`)).status, 404, 'another hash is not served')
  const missing = await visitor.get('/static/nope.css')
  t.equal(missing.status, 404, 'a missing file is a 404 (it was a 500: the error page needs the views, which static files skip)')
  t.match(missing.body, /Page not found/)
})
