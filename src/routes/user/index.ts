import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'

// Public: anonymous visitors see a login link instead of a profile.
const userRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/', async (_request, reply) => reply.render('pages/user', null, { title: 'Your profile' }))
}

export default userRoutes
