import t from 'tap'
import { brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib'
import { APP_URL, TestBrowser, addQuestion, buildTestApp } from '../helpers/app.ts'

t.test('large answers are compressed for clients that accept it; small ones and other clients get plain bytes', async (t) => {
  const { app, serverErrors } = await buildTestApp(t)
  for (let i = 0; i < 60; i++) await addQuestion(app, `Which option number ${i} do you like best of all?`, -1)
  const q = await addQuestion(app, 'Small page?', -1)
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

  // Request bodies are never inflated: a gzipped vote is not read as a vote.
  const carol = new TestBrowser(app)
  await carol.login('carol')
  const token = await carol.csrfToken(`/polls/${q.id}/`)
  const gzippedVote = await app.inject({
    method: 'POST',
    url: `/polls/${q.id}/vote/`,
    headers: { cookie: carol.jar.header(new URL(APP_URL)), 'content-type': 'application/x-www-form-urlencoded', 'content-encoding': 'gzip', 'x-csrf-token': token, 'hx-request': 'true' },
    payload: gzipSync(`choice=${q.choices[0]?.id}`)
  })
  t.ok(gzippedVote.statusCode >= 400 && gzippedVote.statusCode < 500, `refused with a 4xx (${gzippedVote.statusCode})`)
  t.equal(app.db.$client.prepare('select count(*) from votes').pluck().get(), 0, 'no vote written')
  t.same(serverErrors, [])
})
