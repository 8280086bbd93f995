import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'

// Every route in this folder is for administrators only; the hook makes that impossible to forget.
const adminRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('preHandler', app.requireRole('admin'))

  const countsStmt = app.db.$client.prepare<[], { questions: number, choices: number, votes: number, users: number }>(
    `select (select count(*) from questions) as questions, (select count(*) from choices) as choices,
      (select count(*) from votes) as votes, (select count(*) from users) as users`)

  app.get('/', async (_request, reply) => {
    return reply.render('pages/admin/index', null, { title: 'Administration', counts: countsStmt.get() })
  })
}

export default adminRoutes
