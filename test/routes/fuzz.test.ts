import t from 'tap'
import fc from 'fast-check'
import type { FastifyInstance } from 'fastify'
import { APP_URL, TestBrowser, addQuestion, buildTestApp } from '../helpers/app.ts'

// Random paths, methods, headers, bodies and ids at every route, as every role, with no valid CSRF
// token. Whatever comes in: no 5xx, no change to the data, and no page of a higher role served.
// fast-check prints the seed of a failing run, so a failure can be replayed.

const ROLES = ['anonymous', 'carol', 'bob', 'alice'] as const // anonymous, user, staff, admin
const RANK: Record<string, number> = { anonymous: 0, carol: 1, bob: 2, alice: 3 }
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'] as const

/** Every route of the app, read from Fastify's own route tree (so a new route is fuzzed too). */
function routeTable (app: FastifyInstance): Array<{ path: string, methods: string[] }> {
  const routes: Array<{ path: string, methods: string[] }> = []
  const stack: string[] = []
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const at = line.search(/[^│├└─\s]/)
    const match = /^(\S+) \(([A-Z, ]+)\)$/.exec(line.slice(at))
    if (at < 0 || match === null) continue
    const depth = Math.floor(at / 4)
    const parent = stack[depth - 1] ?? ''
    const path = parent === '/' ? `/${match[1]}` : `${parent}${match[1]}`
    stack[depth] = path
    stack.length = depth + 1
    routes.push({ path, methods: (match[2] ?? '').split(', ') })
  }
  return routes
}

/** The least role a 200 of this path may be served to. */
function requiredRank (path: string): number {
  if (/^\/admin(\/|$|\?)/.test(path)) return 3
  if (/^\/polls\/[^/]+\/results/.test(path)) return 2
  return 0
}

function snapshot (app: FastifyInstance): string {
  const rows = (sql: string) => app.db.$client.prepare(sql).all()
  return JSON.stringify([
    rows('select id, role, is_active, username from users order by id'),
    rows('select id, version, question_text, pub_date from questions order by id'),
    rows('select id, question_id, choice_text from choices order by id'),
    rows('select user_id, question_id, choice_id from votes order by user_id, question_id'),
    rows('select count(*) from admin_log'),
    rows('select id from sessions order by id')
  ])
}

const segment = fc.oneof(
  fc.integer({ min: -2, max: 5 }).map(String),
  fc.constantFrom('0', '999999999999999999999', '1e3', '../admin', '%2e%2e', '%00', 'null', '<script>', ' ', 'é'),
  fc.string({ maxLength: 20 }).map(encodeURIComponent)
)
const query = fc.dictionary(fc.constantFrom('q', 'page', 'sort', 'date', 'next', 'code', 'state', 'error', 'role', 'x'),
  fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom('//evil.example', '-1', '99999', 'votes', 'https://evil.example/')), { maxKeys: 3 })
const body = fc.oneof(
  fc.constant(undefined),
  fc.dictionary(fc.constantFrom('choice', 'question_text', 'choice_text', 'version', '_csrf', 'ids', 'pub_date', 'active', 'logout_token', 'choices'),
    fc.oneof(fc.string({ maxLength: 40 }), fc.integer().map(String)), { maxKeys: 4 }).map((d) => new URLSearchParams(d).toString()),
  fc.string({ maxLength: 200 })
)
const headers = fc.record({
  'hx-request': fc.constantFrom('true', 'false', 'yes'),
  'hx-current-url': fc.oneof(fc.constant(`${APP_URL}/polls/`), fc.webUrl(), fc.string({ maxLength: 20 })),
  'content-type': fc.constantFrom('application/x-www-form-urlencoded', 'application/json', 'text/plain', 'multipart/form-data; boundary=x', 'garbage'),
  'x-csrf-token': fc.string({ maxLength: 60 }),
  accept: fc.constantFrom('text/html', 'application/json', '*/*', ''),
  referer: fc.oneof(fc.constant(`${APP_URL}/admin/`), fc.webUrl())
}, { requiredKeys: [] })

t.test('fuzz: every route, every role, no CSRF token — no 5xx, no state change, no higher-role page', async (t) => {
  const { app, serverErrors } = await buildTestApp(t)
  const q = await addQuestion(app, 'Fuzzed?', -1, ['Yes', 'No'])
  await addQuestion(app, 'Future?', 3)
  const jars = new Map<string, string>()
  for (const who of ROLES.slice(1)) {
    const browser = new TestBrowser(app)
    await browser.login(who)
    jars.set(who, browser.jar.header(new URL(APP_URL)))
  }
  // Some state to protect: a vote and an admin action already there.
  const carol = new TestBrowser(app)
  await carol.login('carol')
  await carol.post(`/polls/${q.id}/vote/`, { choice: String(q.choices[0]?.id), _csrf: await carol.csrfToken(`/polls/${q.id}/`) })
  jars.set('carol', carol.jar.header(new URL(APP_URL)))

  const routes = routeTable(app)
  t.ok(routes.length >= 25, `the route table was read (${routes.length} routes)`)
  const before = snapshot(app)
  let requests = 0

  await fc.assert(fc.asyncProperty(
    fc.constantFrom(...ROLES), fc.constantFrom(...routes), fc.constantFrom(...METHODS), fc.boolean(),
    fc.array(segment, { minLength: 1, maxLength: 3 }), query, headers, body, fc.boolean(),
    async (who, route, randomMethod, useRouteMethod, ids, params, extraHeaders, payload, mangle) => {
      let i = 0
      let path = route.path.replace(/:\w+/g, () => ids[i++ % ids.length] ?? '1').replace(/\*$/, ids.join('/'))
      if (mangle) path = `${path}/${ids.join('/')}` // paths that are not routes at all
      const search = new URLSearchParams(params).toString()
      const url = `${path}${search === '' ? '' : `?${search}`}`
      const method = useRouteMethod ? (route.methods[0] ?? 'GET') : randomMethod
      const cookie = jars.get(who)
      const res = await app.inject({
        method: method as 'GET',
        url,
        headers: { ...extraHeaders, ...(cookie === undefined || cookie === '' ? {} : { cookie }) },
        payload: method === 'GET' || method === 'HEAD' ? undefined : payload
      })
      requests++
      if (res.statusCode >= 500) throw new Error(`${who} ${method} ${url} → ${res.statusCode}: ${res.body.slice(0, 200)}`)
      // The router resolves dot segments (also %2e%2e) as URL parsing does: judge the page by where it lands.
      if (res.statusCode === 200 && RANK[who] as number < requiredRank(new URL(`${APP_URL}${url}`).pathname)) {
        throw new Error(`${who} got 200 for ${method} ${url}, a page of a higher role`)
      }
      const after = snapshot(app)
      if (after !== before) throw new Error(`${who} ${method} ${url} changed the data without a CSRF token`)
    }
  ), { numRuns: 600 })

  t.ok(requests >= 600, `${requests} random requests`)
  t.equal(snapshot(app), before, 'the data is as it was')
  t.same(serverErrors, [], 'no 5xx')
})
