import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { ROLES } from '../../db/schema.ts'
import { IdParamsSchema } from './forms.ts'
import { cleanSearch } from './question-views.ts'

const UserListQuerySchema = Type.Object({
  q: Type.Optional(Type.String({ maxLength: 200 })),
  role: Type.Optional(Type.Union([Type.Literal('any'), ...ROLES.map((r) => Type.Literal(r))])),
  page: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 }))
})
const ActiveBodySchema = Type.Object({
  active: Type.Union([Type.Literal('0'), Type.Literal('1')]),
  confirm: Type.Optional(Type.String({ maxLength: 10 })),
  _csrf: Type.Optional(Type.String({ maxLength: 200 }))
})

// Accounts: read-only profile and role (owned by the identity provider); active can be toggled here.
const userAdminRoutes: FastifyPluginAsyncTypebox = async (app) => {
  async function findUser (id: number) {
    const user = await app.admin.users.userById(id)
    if (user === undefined) throw app.httpErrors.notFound('There is no user with that number.')
    return user
  }

  app.get('/users/', { schema: { querystring: UserListQuerySchema } }, async (request, reply) => {
    const query = { search: cleanSearch(request.query.q), role: request.query.role ?? 'any', page: request.query.page ?? 1 }
    const result = await app.admin.users.listUsers(query)
    return reply.render('pages/admin/users', 'partials/admin/users-table', { title: 'Users', query: { ...query, page: result.page }, ...result })
  })

  // The row again (Cancel on the in-row confirmation); opened directly it is the list.
  app.get('/users/:id/row', { schema: { params: IdParamsSchema } }, async (request, reply) => {
    const row = await findUser(request.params.id)
    if (!request.isHtmx) return reply.redirect('/admin/users/', 303)
    return reply.render('partials/admin/user-row', null, { row, rowNotice: undefined, focusAction: true })
  })

  app.post('/users/:id/active', { schema: { params: IdParamsSchema, body: ActiveBodySchema } }, async (request, reply) => {
    const active = request.body.active === '1'
    if (request.params.id === request.user!.id && !active) {
      throw app.httpErrors.unprocessableEntity('You cannot deactivate your own account.')
    }
    // Deactivating ends the user's sessions at once, so it asks first: in the row for htmx, as a page
    // of its own otherwise. Reactivating undoes nothing and needs no question.
    if (!active && request.body.confirm !== 'yes') {
      const row = await findUser(request.params.id)
      return reply.render('pages/admin/user-deactivate', 'partials/admin/user-row-confirm', { title: `Deactivate ${row.username}?`, row })
    }
    const user = await app.admin.users.setUserActive(request.user!, request.params.id, active)
    if (user === undefined) throw app.httpErrors.notFound('There is no user with that number.')
    const message = `${user.username} was ${active ? 'reactivated' : 'deactivated'}.`
    if (request.isHtmx) return reply.render('partials/admin/user-row', null, { row: user, rowNotice: message, focusAction: true })
    reply.flash(message)
    return reply.redirect('/admin/users/', 303)
  })
}

export default userAdminRoutes
