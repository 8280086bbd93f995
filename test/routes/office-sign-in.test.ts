import t from 'tap'
import { APP_URL, TestBrowser, buildTestApp } from '../helpers/app.ts'

// Issue 13, item 3: a company network behind NAT (or a proxy with TRUST_PROXY off) is one address for
// all of its people. With the default limits they all sign in; a flood from that address is still cut.

const PEOPLE = 300
const AT_ONCE = 10

/** `count` requests, 50 at a time; their statuses. */
async function inBatches (count: number, send: () => Promise<number>): Promise<number[]> {
  const statuses: number[] = []
  for (let i = 0; i < count; i += 50) statuses.push(...await Promise.all(Array.from({ length: Math.min(50, count - i) }, send)))
  return statuses
}

t.test(`an office behind one address: ${PEOPLE} sign-ins in a minute with the default limits, forged callbacks block nobody, a flood gets 429`, async (t) => {
  // The default limits, not the test helper's raised ones.
  const { app, serverErrors } = await buildTestApp(t, { env: { RATE_LIMIT_LOGINS_PER_MINUTE: undefined } })
  const forgedCallback = async () => (await app.inject({ url: '/oidc/callback/?code=x&state=forged' })).statusCode

  // Someone at the same address sends forged callbacks first.
  const forged = await inBatches(30, forgedCallback)
  t.ok(forged.every((status) => status !== 429), '30 forged callbacks are answered (not yet a flood)')

  const started = Date.now()
  const outcomes: string[] = []
  for (let i = 0; i < PEOPLE; i += AT_ONCE) {
    outcomes.push(...await Promise.all(Array.from({ length: AT_ONCE }, async () => {
      const page = await new TestBrowser(app).login('carol', '/user')
      return page.status === 200 && page.body.includes('<dd>carol</dd>') ? 'ok' : String(page.status)
    })))
  }
  const seconds = (Date.now() - started) / 1000
  const ok = outcomes.filter((o) => o === 'ok').length
  t.comment(`${PEOPLE} sign-ins from one address in ${seconds.toFixed(1)} s: ${ok} ok`)
  t.equal(ok, PEOPLE, `all ${PEOPLE} people signed in`)
  t.ok(seconds < 60, 'within one rate-limit window, so the limit was really in play')

  // A real login started now, then a flood of forged callbacks, then the real callback.
  const late = new TestBrowser(app)
  const atProvider = await late.follow(await late.get('/oidc/authenticate/?next=%2Fuser'))
  const floodedCallbacks = await inBatches(1000, forgedCallback)
  const cut = floodedCallbacks.filter((status) => status === 429).length
  t.comment(`1000 forged callbacks: ${cut} answered 429`)
  t.ok(cut > 0, 'a flood of forged callbacks is cut with 429')
  const action = /action="([^"]*\/login)"/.exec(atProvider.body)?.[1] ?? ''
  const landed = await late.follow(await late.post(new URL(action, atProvider.url).href, { username: 'bob' }))
  t.equal(landed.status, 200, 'the callback of a login this browser started is never refused for the flood')
  t.match(landed.body, /<dd>bob<\/dd>/)

  const starts = await inBatches(1000, async () => (await app.inject({ url: '/oidc/authenticate/' })).statusCode)
  const startsCut = starts.filter((status) => status === 429).length
  t.comment(`1000 login starts: ${startsCut} answered 429`)
  t.ok(startsCut > 0, 'a flood of login starts is cut with 429')
  t.same(serverErrors, [])
})

t.test('replaying the callback of one pending login with a kept copy of its cookie is cut with 429', async (t) => {
  const { app, provider, serverErrors } = await buildTestApp(t, { env: { RATE_LIMIT_LOGINS_PER_MINUTE: undefined } })
  /** A login started, and a replay of its callback with a junk code and the cookie kept from before. */
  const startReplays = async () => {
    const attacker = new TestBrowser(app)
    const start = await attacker.get('/oidc/authenticate/?next=%2Fuser')
    const state = new URL(String(start.headers.location)).searchParams.get('state') ?? ''
    // Using the pending login only rewrites the cookie: the copy kept from before still carries it.
    const keptCookie = attacker.jar.header(new URL(APP_URL))
    return async () => (await app.inject({
      url: `/oidc/callback/?code=junk&state=${state}&iss=${encodeURIComponent(provider.issuer)}`,
      headers: { cookie: keptCookie, accept: 'text/html' }
    })).statusCode
  }

  const oneByOne = await startReplays()
  const sequential: number[] = []
  for (let i = 0; i < 10; i++) sequential.push(await oneByOne())
  t.same(sequential, [400, 400, 400, 429, 429, 429, 429, 429, 429, 429], 'one after another: 3 reach the provider (and are refused), then 429')

  const statuses = await inBatches(1500, await startReplays())
  const cut = statuses.filter((status) => status === 429).length
  t.comment(`1500 replays of one state from one address, 50 at a time: ${cut} answered 429, ${1500 - cut} reached the provider`)
  t.ok(1500 - cut <= 3, 'at most 3 replays of one login reach the provider')
  t.ok(statuses.every((status) => status === 429 || status === 400), 'the others are refused sign-ins, never a 5xx')

  // The replays count on their login alone: someone else at the same address still signs in.
  const other = await new TestBrowser(app).login('carol', '/user')
  t.match(other.body, /<dd>carol<\/dd>/, 'another sign-in from the address completes')
  t.same(serverErrors, [])
})
