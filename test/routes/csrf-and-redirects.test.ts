import t from 'tap'
import { safeNextPath } from '../../src/sign-in/safe-next.ts'
import { APP_URL, TestBrowser, addQuestion, buildTestApp } from '../helpers/app.ts'

t.test('state changes without a valid CSRF token → 403 and nothing changes', async (t) => {
  const { app, serverErrors } = await buildTestApp(t)
  const q = await addQuestion(app, 'Guarded?', -1, ['A', 'B'])
  const carol = new TestBrowser(app)
  await carol.login('carol')
  const good = await carol.csrfToken(`/polls/${q.id}/`)
  const other = new TestBrowser(app)
  await other.login('bob')
  const foreignToken = await other.csrfToken('/') // valid, but for another session

  const attempts: Array<[string, Record<string, string>, Record<string, string>]> = [
    ['missing', { choice: String(q.choices[0]?.id) }, {}],
    ['wrong', { choice: String(q.choices[0]?.id), _csrf: 'not-a-token' }, {}],
    ['wrong header', { choice: String(q.choices[0]?.id) }, { 'hx-request': 'true', 'x-csrf-token': 'nope' }],
    ['another session\'s', { choice: String(q.choices[0]?.id), _csrf: foreignToken }, {}]
  ]
  for (const [label, form, headers] of attempts) {
    const res = await carol.post(`/polls/${q.id}/vote/`, form, headers)
    t.equal(res.status, 403, `${label} token → 403`)
    t.match(res.body, /form has expired or did not come from this site/)
  }
  t.equal(await app.polls.userVote((await app.users.userBySub('dev-carol'))?.id ?? 0, q.id), undefined, 'no vote written')

  const logout = await carol.post('/oidc/logout/', { _csrf: 'nope' })
  t.equal(logout.status, 403, 'logout needs the token too')
  t.match((await carol.get('/user')).body, /<dd>carol<\/dd>/, 'still signed in')

  const ok = await carol.post(`/polls/${q.id}/vote/`, { choice: String(q.choices[0]?.id), _csrf: good })
  t.equal(ok.status, 303, 'the right token works')
  t.same(serverErrors, [])
})

t.test('safeNextPath keeps same-site paths and refuses everything else', async (t) => {
  t.equal(safeNextPath('/polls/3/'), '/polls/3/')
  t.equal(safeNextPath('/polls/?page=2#top'), '/polls/?page=2#top')
  t.equal(safeNextPath('/admin/questions/?q=100%25'), '/admin/questions/?q=100%25', 'a literal % survives')
  for (const evil of [
    '//evil.example', '//evil.example/polls/', 'https://evil.example/', 'http:evil.example', '/\\evil.example',
    '\\\\evil.example', '/%2F%2Fevil.example', '%2F%2Fevil.example', '/%5Cevil.example', '/%252F%252Fevil.example',
    'javascript:alert(1)', '/\t/evil.example', ' /polls/', '', 'polls/3/', '/%E0%A4%A',
    '/.//evil.example', '/a/..//evil.example', '/%2e//evil.example/x', '/polls/../..//evil.example'
  ]) {
    t.equal(safeNextPath(evil), '/', `${JSON.stringify(evil)} → /`)
  }
  t.equal(safeNextPath(undefined), '/')
  t.equal(safeNextPath(['/a']), '/')
})

t.test('open-redirect attempts through the login land on /', async (t) => {
  const { app } = await buildTestApp(t)
  for (const evil of ['//evil.example', 'https://evil.example/', '/\\evil.example', '/%2F%2Fevil.example', '/.//evil.example']) {
    const landed = await new TestBrowser(app).login('carol', evil)
    t.equal(landed.url, `${APP_URL}/`, `next=${evil} → /`)
  }
})
