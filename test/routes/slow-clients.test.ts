import t from 'tap'
import { connect, type Socket } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { APP_URL, TestBrowser, addQuestion, buildTestApp } from '../helpers/app.ts'

interface SlowClient { socket: Socket, openedAt: number, closedAt?: number, answer: string }

/** A client that sends a vote's headers and one byte of its body, then nothing (or a byte now and then). */
function openSlowClient (port: number, trickleEveryMs?: number): Promise<SlowClient> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port })
    const client: SlowClient = { socket, openedAt: Date.now(), answer: '' }
    let trickle: NodeJS.Timeout | undefined
    socket.setEncoding('latin1')
    socket.on('data', (chunk: string) => { client.answer += chunk })
    socket.on('error', () => {})
    socket.on('close', () => { client.closedAt = Date.now(); clearInterval(trickle) })
    socket.once('connect', () => {
      socket.write('POST /polls/1/vote/ HTTP/1.1\r\nHost: polls.test\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\nc')
      if (trickleEveryMs !== undefined) trickle = setInterval(() => socket.write('h'), trickleEveryMs)
      resolve(client)
    })
    socket.once('error', reject)
  })
}

async function openMany (port: number, count: number): Promise<SlowClient[]> {
  const clients: SlowClient[] = []
  // In batches, so the listen backlog is never what refuses them.
  for (let i = 0; i < count; i += 250) {
    clients.push(...await Promise.all(Array.from({ length: Math.min(250, count - i) }, () => openSlowClient(port))))
  }
  return clients
}

async function allClosed (clients: SlowClient[], withinMs: number): Promise<boolean> {
  const deadline = Date.now() + withinMs
  while (Date.now() < deadline) {
    if (clients.every((c) => c.closedAt !== undefined)) return true
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return false
}

async function listen (app: FastifyInstance): Promise<number> {
  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('no port')
  return address.port
}

const open = (clients: SlowClient[]) => clients.filter((c) => c.closedAt === undefined).length

t.test('slow clients: thousands of trickling requests are cut with 408 while /healthz and signed-in pages answer', async (t) => {
  // Long enough that opening them all (seconds on a busy machine) ends before the first are cut.
  const { app, serverErrors } = await buildTestApp(t, { env: { REQUEST_TIMEOUT_MS: '6000' } })
  const q = await addQuestion(app, 'Still answering?', -1)
  const carol = new TestBrowser(app)
  await carol.login('carol')
  const cookie = carol.jar.header(new URL(APP_URL))
  const port = await listen(app)
  const base = `http://127.0.0.1:${port}`

  const trickling = await openSlowClient(port, 200)
  const slow = await openMany(port, 2000)
  const openWhileServing = open(slow)
  const health = await fetch(`${base}/healthz`)
  const page = await fetch(`${base}/polls/${q.id}/`, { headers: { cookie, host: 'polls.test' } })
  t.comment(`${openWhileServing} slow connections open while /healthz and a signed-in page were asked for`)
  t.ok(openWhileServing > 1900, 'the slow connections were open meanwhile')
  t.equal(health.status, 200, '/healthz answers')
  t.equal(page.status, 200, 'a signed-in page answers')
  t.match(await page.text(), /Still answering\?[\s\S]*carol/, 'as the signed-in user')

  // 6 s for the request, plus up to 1 s until Node next looks at its connections.
  t.ok(await allClosed([...slow, trickling], 15_000), 'every slow connection is closed within a bounded time')
  const answered408 = slow.filter((c) => c.answer.startsWith('HTTP/1.1 408')).length
  const longest = Math.max(...slow.map((c) => (c.closedAt ?? Infinity) - c.openedAt))
  t.comment(`${answered408} of ${slow.length} answered 408; the longest lived ${longest} ms`)
  t.equal(answered408, slow.length, 'each was answered 408 Request Timeout')
  t.match(trickling.answer, /^HTTP\/1\.1 408/, 'a body trickled in a byte at a time is cut too')
  t.ok((trickling.closedAt ?? Infinity) - trickling.openedAt < 10_000, 'the trickle does not keep it open')
  t.equal((await fetch(`${base}/healthz`)).status, 200, 'and the app goes on answering')
  t.same(serverErrors, [])
})

t.test('slow clients: past MAX_CONNECTIONS new connections are closed at once, and served again once the slow ones are cut', async (t) => {
  const { app, serverErrors } = await buildTestApp(t, { env: { REQUEST_TIMEOUT_MS: '1000', MAX_CONNECTIONS: '50' } })
  const port = await listen(app)
  const slow = await openMany(port, 80)
  t.ok(await allClosed(slow.slice(50), 2000), 'the 30 beyond the cap are closed at once')
  t.equal(slow.slice(50).filter((c) => c.answer !== '').length, 0, 'without an answer')
  t.equal(open(slow.slice(0, 50)), 50, 'the 50 within it stay until their requests time out')
  t.ok(await allClosed(slow, 8000), 'then those are cut too')
  t.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200, 'and the app serves new connections again')
  t.same(serverErrors, [])
})
