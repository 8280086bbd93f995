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

  const countsStmt = app.db.$client.prepare<[], { questions: number, choices: number, votes: number, users: number }>(
    // From the per-question totals the triggers keep: no scan of a million votes per page view.
    `select count(*) as questions, coalesce(sum(choice_count), 0) as choices, coalesce(sum(vote_count), 0) as votes,
      (select count(*) from users) as users from questions`)

  app.get('/', async (_request, reply) => {
    return reply.render('pages/admin/index', null, { title: 'Administration', counts: countsStmt.get(), actions: app.admin.log.recentActions(10) })
  })

  await app.register(questionsListRoutes)
  await app.register(questionEditRoutes)
  await app.register(questionDeleteRoutes)
  await app.register(choiceRoutes)
  await app.register(userAdminRoutes)
}

export default adminRoutes
