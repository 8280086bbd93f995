import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { logOut } from '../../sign-in/end.ts'

const logoutRoutes: FastifyPluginAsyncTypebox = async (app) => {
  // POST only (CSRF-checked like every state change): a GET logout could be triggered by any page.
  app.post('/logout/', {
    schema: { body: Type.Object({ _csrf: Type.Optional(Type.String({ maxLength: 200 })) }) }
  }, async (request, reply) => {
    if (request.userSession === null) return reply.redirect('/', 303) // already signed out (or the session expired)
    const atProvider = await logOut(app.signIn, request)
    // The fresh session only carries the message for the home page.
    reply.flash('You have been logged out.')
    if (atProvider === undefined) return reply.redirect('/', 303)
    if (request.isHtmx) return reply.header('HX-Redirect', atProvider).code(204).send()
    return reply.redirect(atProvider, 303)
  })
}

export default logoutRoutes
