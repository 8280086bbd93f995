import t from 'tap'
import { TestBrowser, buildTestApp } from '../helpers/app.ts'

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
