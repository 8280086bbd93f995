// Rate limits across nodes: with REDIS_URL every node counts into one Redis (a real redis-server);
// without it each node counts alone; with Redis down requests go through unlimited, and that is logged.
import t from 'tap'
import { Writable } from 'node:stream'
import { buildTestApp, startTestProvider } from '../../helpers/app.ts'
import { startRedis } from '../../helpers/redis.ts'

type Node = Awaited<ReturnType<typeof buildTestApp>>['app']
const startLogin = async (node: Node) => (await node.inject({ url: '/oidc/authenticate/' })).statusCode

t.test('REDIS_URL: two nodes share one login limit per address', async (t) => {
  const redis = await startRedis(t)
  const provider = await startTestProvider(t)
  const env = { REDIS_URL: redis.url, RATE_LIMIT_LOGINS_PER_MINUTE: '3' }
  const a = await buildTestApp(t, { provider, env })
  const b = await buildTestApp(t, { provider, env })
  t.equal(await startLogin(a.app), 302, 'first login start, on node A')
  t.equal(await startLogin(b.app), 302, 'second, on node B')
  t.equal(await startLogin(a.app), 302, 'third, on node A')
  t.equal(await startLogin(b.app), 429, 'the fourth in a minute is refused on node B: it counted A\'s')
  t.equal(await startLogin(a.app), 429, 'and on node A')
  t.same([...a.serverErrors, ...b.serverErrors], [])
})

t.test('without REDIS_URL each node counts alone (documented: the limit is per node)', async (t) => {
  const provider = await startTestProvider(t)
  const env = { RATE_LIMIT_LOGINS_PER_MINUTE: '1' }
  const a = await buildTestApp(t, { provider, env })
  const b = await buildTestApp(t, { provider, env })
  t.equal(await startLogin(a.app), 302)
  t.equal(await startLogin(a.app), 429, 'node A\'s own limit')
  t.equal(await startLogin(b.app), 302, 'node B has not counted A\'s')
})

t.test('Redis down: sign-in keeps working unlimited, logged once; limits apply again when it is back', async (t) => {
  const redis = await startRedis(t)
  const lines: string[] = []
  const logStream = new Writable({ write (chunk: Buffer, _enc, done) { lines.push(chunk.toString()); done() } })
  const { app, serverErrors } = await buildTestApp(t, { env: { REDIS_URL: redis.url, RATE_LIMIT_LOGINS_PER_MINUTE: '2' }, logStream, logLevel: 'warn' })
  t.equal(await startLogin(app), 302)
  t.equal(await startLogin(app), 302)
  t.equal(await startLogin(app), 429, 'limited while Redis is up')

  await redis.stop()
  const started = Date.now()
  const whileDown = []
  for (let i = 0; i < 5; i++) whileDown.push(await startLogin(app))
  t.same(whileDown, [302, 302, 302, 302, 302], 'every login start goes to the provider while Redis is down')
  t.ok(Date.now() - started < 5_000, 'without waiting on Redis for each request (commands are not queued)')
  const logged = async (text: string) => {
    const deadline = Date.now() + 10_000
    while (!lines.some((line) => line.includes(text)) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50))
  }
  await logged('Redis for the rate limits is unreachable')
  await startLogin(app)
  const outage = lines.filter((line) => line.includes('Redis for the rate limits is unreachable'))
  t.equal(outage.length, 1, 'the outage is logged once, not per request')
  t.match(outage[0], /"level":50/, 'as an error')

  await redis.restart()
  await logged('reachable again')
  t.ok(lines.some((line) => line.includes('Redis for the rate limits is reachable again')), 'the recovery is logged, with no restart of the app')
  t.equal(await startLogin(app), 302, 'the restarted Redis is empty: counting starts again')
  t.equal(await startLogin(app), 302)
  t.equal(await startLogin(app), 429, 'and the limit applies again')
  t.same(serverErrors, [], 'no request answered 5xx')
})
