// The benchmark's ceiling: a bare Fastify server on the same machine answering a constant body of a
// requested size, with no session, database or template work. Run as its own process, like the app.
// CEILING_HELMET=per-request (@fastify/helmet as it comes) or =once (its header set computed once, as
// the app does) adds only the security headers: how much of the ceiling they alone cost
// (npm run profile -- --endpoint ceiling --endpoint ceiling-helmet --endpoint ceiling-helmet-once).
import Fastify from 'fastify'
import helmet from '@fastify/helmet'

const app = Fastify({ logger: false })
const variant = process.env.CEILING_HELMET
if (variant === 'per-request') await app.register(helmet)
if (variant === 'once') {
  const probe = Fastify({ logger: false })
  await probe.register(helmet)
  probe.get('/', async () => '')
  const headers = Object.fromEntries(Object.entries((await probe.inject({ url: '/' })).headers)
    .filter(([name]) => !['content-type', 'content-length', 'date', 'connection', 'keep-alive'].includes(name)))
  await probe.close()
  app.addHook('onRequest', (_request, reply, done) => { reply.headers(headers); done() })
}
const bodies = new Map<number, Buffer>()
app.all('/bytes/:n', async (request, reply) => {
  const n = Math.min(1_000_000, Number((request.params as { n: string }).n) || 0)
  let body = bodies.get(n)
  if (body === undefined) {
    body = Buffer.alloc(n, 'x')
    bodies.set(n, body)
  }
  return reply.type('text/html; charset=utf-8').send(body)
})
const port = Number(process.env.PORT ?? 0)
app.listen({ host: '127.0.0.1', port }).then((address) => { console.log(`ready ${address}`) }, (err) => { console.error(err); process.exit(1) })
