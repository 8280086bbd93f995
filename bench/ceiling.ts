// The benchmark's ceiling: a bare Fastify server on the same machine answering a constant body of a
// requested size, with no session, database or template work. Run as its own process, like the app.
import Fastify from 'fastify'

const app = Fastify({ logger: false })
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
