import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'

const homeRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/', async (_request, reply) => reply.render('pages/home', null, { title: 'Polls' }))

  // Liveness only: no database or provider call, so a load balancer never restarts a busy process.
  app.get('/healthz', {
    schema: { response: { 200: Type.Object({ status: Type.Literal('ok') }) } }
  }, async () => ({ status: 'ok' as const }))
}

export default homeRoutes
