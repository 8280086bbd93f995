import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import questionsListRoutes from './questions-list.ts'
import questionEditRoutes from './question-edit.ts'
import questionDeleteRoutes from './question-delete.ts'
import choiceRoutes from './choices.ts'
import userAdminRoutes from './users.ts'

// Everything under /admin/ is for administrators only; the hook covers every route registered below it,
// so no handler can forget the guard.
const adminRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('preHandler', app.requireRole('admin'))

  app.get('/', async (_request, reply) => {
    return reply.render('pages/admin/index', null, { title: 'Administration', counts: await app.admin.counts(), actions: await app.admin.log.recentActions(10) })
  })

  await app.register(questionsListRoutes)
  await app.register(questionEditRoutes)
  await app.register(questionDeleteRoutes)
  await app.register(choiceRoutes)
  await app.register(userAdminRoutes)
}

export default adminRoutes
