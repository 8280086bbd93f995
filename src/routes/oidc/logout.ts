import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'

const logoutRoutes: FastifyPluginAsyncTypebox = async (app) => {
  // POST only (CSRF-checked like every state change): a GET logout could be triggered by any page.
  app.post('/logout/', {
    schema: { body: Type.Object({ _csrf: Type.Optional(Type.String({ maxLength: 200 })) }) }
  }, async (request, reply) => {
    if (request.userSession === null) return reply.redirect('/', 303) // already signed out (or the session expired)
    const idToken = (await app.sessions.sessionTokens(request.userSession.id))?.idToken
    await app.sessions.endSession(request.userSession.id)
    // A fresh, empty session that only carries the message for the home page.
    request.session.regenerate()
    reply.flash('You have been logged out.')
    const endpoint = app.oidc.provider.isConnected ? (await app.oidc.provider.connected()).metadata.end_session_endpoint : undefined
    if (endpoint === undefined) return reply.redirect('/', 303)
    const url = new URL(endpoint)
    if (idToken !== undefined) url.searchParams.set('id_token_hint', idToken)
    url.searchParams.set('client_id', app.oidc.clientId)
    url.searchParams.set('post_logout_redirect_uri', `${app.config.appUrl}/`)
    if (request.isHtmx) return reply.header('HX-Redirect', url.href).code(204).send()
    return reply.redirect(url.href, 303)
  })
}

export default logoutRoutes
