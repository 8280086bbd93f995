// Every route × {anonymous, user, staff, admin} → the expected answer.
import t from 'tap'
import { APP_URL, TestBrowser, addQuestion, buildTestApp } from '../helpers/app.ts'

type Who = 'anonymous' | 'carol' | 'bob' | 'alice'
const WHO: Who[] = ['anonymous', 'carol', 'bob', 'alice'] // anonymous, user, staff, admin

t.test('route access table', async (t) => {
  const { app, serverErrors } = await buildTestApp(t)
  const q = await addQuestion(app, 'Published?', -1, ['A', 'B'])
  const future = await addQuestion(app, 'Unpublished?', 2, ['A'])
  const browsers = new Map<Who, TestBrowser>()
  for (const who of WHO) {
    const browser = new TestBrowser(app)
    if (who !== 'anonymous') await browser.login(who)
    browsers.set(who, browser)
  }

  const LOGIN = 'login'
  // [method, path, expected status for anonymous, user, staff, admin]
  const table: Array<[string, string, ...Array<number | typeof LOGIN>]> = [
    ['GET', '/', 200, 200, 200, 200],
    ['GET', '/healthz', 200, 200, 200, 200],
    ['GET', '/user', 200, 200, 200, 200],
    ['GET', '/polls/', 200, 200, 200, 200],
    ['GET', `/polls/${q.id}/`, LOGIN, 200, 200, 200],
    ['GET', `/polls/${future.id}/`, LOGIN, 404, 404, 404],
    ['GET', '/polls/424242/', LOGIN, 404, 404, 404],
    ['GET', `/polls/${q.id}/results/`, LOGIN, 403, 200, 200],
    ['GET', `/polls/${future.id}/results/`, LOGIN, 403, 404, 404],
    ['POST', `/polls/${q.id}/vote/`, LOGIN, 303, 303, 303],
    ['POST', `/polls/${future.id}/vote/`, LOGIN, 404, 404, 404],
    ['GET', '/admin/', LOGIN, 403, 403, 200],
    ['GET', '/no-such-page', 404, 404, 404, 404]
  ]

  for (const [method, path, ...expected] of table) {
    for (const [i, who] of WHO.entries()) {
      const browser = browsers.get(who) as TestBrowser
      const want = expected[i]
      const form = method === 'POST' ? { _csrf: who === 'anonymous' ? '' : await browser.csrfToken(), choice: String(q.choices[0]?.id) } : undefined
      const res = await browser.request(method, path, { form })
      if (want === LOGIN) {
        t.equal(res.status, 302, `${method} ${path} as ${who} → login`)
        const location = new URL(String(res.headers.location), APP_URL)
        t.equal(location.pathname, '/oidc/authenticate/', `${method} ${path} as ${who} redirects to the login`)
        if (method === 'GET') t.equal(location.searchParams.get('next'), path, 'and comes back here afterwards')
      } else {
        t.equal(res.status, want, `${method} ${path} as ${who} → ${want}`)
        if (want === 403) t.match(res.body, /needs the (staff|admin) role/, 'a 403 says why')
      }
    }
  }
  // The login routes, last: logging out ends these browsers' sessions.
  for (const who of WHO) {
    const browser = browsers.get(who) as TestBrowser
    const start = await browser.get('/oidc/authenticate/?next=%2Fpolls%2F')
    t.equal(start.status, 302, `GET /oidc/authenticate/ as ${who} → 302 to the provider`)
    const callback = await browser.get('/oidc/callback/?code=x&state=unknown')
    // Signed in: nothing to do, home; anonymous: the login restarts once.
    t.equal(callback.status, 302, `GET /oidc/callback/ with an unknown state as ${who} → 302`)
    t.equal(callback.headers.location, who === 'anonymous' ? '/oidc/authenticate/?next=%2F' : '/')
  }
  for (const who of ['carol', 'bob', 'alice'] as const) {
    const browser = new TestBrowser(app)
    await browser.login(who)
    const logout = await browser.post('/oidc/logout/', { _csrf: await browser.csrfToken() })
    t.equal(logout.status, 303, `POST /oidc/logout/ as ${who} → 303`)
    t.match(String(logout.headers.location), /\/session\/end\?/, 'on to the provider')
  }
  t.equal((await new TestBrowser(app).post('/oidc/logout/', {})).status, 303, 'POST /oidc/logout/ anonymous → 303 home')
  t.same(serverErrors, [])
})

t.test('htmx requests from an anonymous visitor get HX-Redirect, never a login page in a fragment', async (t) => {
  const { app } = await buildTestApp(t)
  const q = await addQuestion(app, 'Q?', -1)
  for (const path of [`/polls/${q.id}/`, `/polls/${q.id}/results/`, '/admin/']) {
    const res = await app.inject({ method: 'GET', url: path, headers: { 'hx-request': 'true' } })
    t.equal(res.statusCode, 401, `${path}: 401`)
    t.equal(res.headers['hx-redirect'], `/oidc/authenticate/?next=${encodeURIComponent(path)}`, `${path}: HX-Redirect to the login`)
    const fromPage = await app.inject({ method: 'GET', url: path, headers: { 'hx-request': 'true', 'hx-current-url': `${APP_URL}/polls/?page=2` } })
    t.equal(fromPage.headers['hx-redirect'], `/oidc/authenticate/?next=${encodeURIComponent('/polls/?page=2')}`, `${path}: back to the page shown, after the login`)
    t.equal(res.body, '', 'no body to swap')
  }
  // A vote POST from an expired session (the cookie no longer decrypts, the page's token is stale):
  // back to the question's page after login, not a "form expired" message in the fragment.
  const browser = new TestBrowser(app)
  await browser.login('carol')
  const token = await browser.csrfToken(`/polls/${q.id}/`)
  browser.jar.set(APP_URL, 'polls_session', 'expired-or-tampered')
  const res = await browser.post(`/polls/${q.id}/vote/`, { choice: '1' }, { 'hx-request': 'true', 'x-csrf-token': token, referer: `${APP_URL}/polls/${q.id}/` })
  t.equal(res.status, 401)
  t.equal(res.headers['hx-redirect'], `/oidc/authenticate/?next=${encodeURIComponent(`/polls/${q.id}/`)}`)
})

t.test('fragments: partial for htmx, full page otherwise, with Vary', async (t) => {
  const { app } = await buildTestApp(t)
  const q = await addQuestion(app, 'Frag?', -1)
  const bob = new TestBrowser(app)
  await bob.login('bob')
  for (const [path, root] of [[`/polls/${q.id}/`, `id="question-${q.id}-vote"`], [`/polls/${q.id}/results/`, `id="question-${q.id}-results"`]] as const) {
    const full = await bob.get(path)
    t.match(full.body, /^<!doctype html>/, `${path}: full page without HX-Request`)
    t.match(full.body, root, 'the page contains the fragment')
    const partial = await bob.get(path, { 'hx-request': 'true' })
    t.notMatch(partial.body, /<html|<head|<body/, `${path}: partial with HX-Request`)
    t.match(partial.body, root)
    t.equal(partial.headers.vary, 'HX-Request')
    const boosted = await bob.get(path, { 'hx-request': 'true', 'hx-boosted': 'true' })
    t.match(boosted.body, /^<!doctype html>/, 'boosted navigation gets the page')
  }
})
