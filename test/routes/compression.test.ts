import t from 'tap'
import { brotliDecompressSync, gunzipSync } from 'node:zlib'
import { APP_URL, TestBrowser, addQuestion, buildTestApp } from '../helpers/app.ts'

t.test('large answers are compressed for clients that accept it; small ones and other clients get plain bytes', async (t) => {
  const { app, serverErrors } = await buildTestApp(t)
  for (let i = 0; i < 60; i++) addQuestion(app, `Which option number ${i} do you like best of all?`, -1)
  const q = addQuestion(app, 'Small page?', -1)
  const alice = new TestBrowser(app)
  await alice.login('alice')
  const cookie = alice.jar.header(new URL(APP_URL))
  const plainTable = await alice.get('/admin/questions/')
  t.ok(Buffer.byteLength(plainTable.body) > 8 * 1024, `the admin table is large (${Buffer.byteLength(plainTable.body)} bytes)`)

  const get = (url: string, encoding?: string) => app.inject({ url, headers: { cookie, accept: 'text/html', ...(encoding === undefined ? {} : { 'accept-encoding': encoding }) } })
  const br = await get('/admin/questions/', 'br, gzip')
  t.equal(br.headers['content-encoding'], 'br', 'brotli first')
  t.match(String(br.headers.vary), /accept-encoding/i, 'caches keep encodings apart')
  const html = brotliDecompressSync(br.rawPayload).toString()
  t.match(html, /Which option number 59/, 'the same table')
  t.ok(br.rawPayload.length < Buffer.byteLength(html) / 4, `at least 4× smaller (${br.rawPayload.length} of ${Buffer.byteLength(html)} bytes)`)
  const gzip = await get('/admin/questions/', 'gzip')
  t.equal(gzip.headers['content-encoding'], 'gzip')
  t.match(gunzipSync(gzip.rawPayload).toString(), /Which option number 59/)

  t.equal((await get('/admin/questions/')).headers['content-encoding'], undefined, 'no Accept-Encoding: sent as it is')
  const small = await get(`/polls/${q.id}/`, 'br, gzip')
  t.equal(small.statusCode, 200)
  t.equal(small.headers['content-encoding'], undefined, 'a page of a few kilobytes is not worth compressing')
  t.match(small.body, /Small page\?/)
  t.same(serverErrors, [])
})
