import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { completeLogin, LoginFailure } from '../../oidc/complete-login.ts'
import { SESSION_LIFETIME_MS } from '../../plugins/app/auth.ts'

const oidcRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/authenticate/', {
    config: { rateLimit: app.loginRateLimit },
    schema: { querystring: Type.Object({ next: Type.Optional(Type.String({ maxLength: 2000 })) }) }
  }, async (request, reply) => {
    return reply.redirect(await app.oidc.startLogin(request, request.query.next), 302)
  })

  app.get('/callback/', {
    config: { rateLimit: app.loginRateLimit },
    schema: {
      querystring: Type.Object({
        code: Type.Optional(Type.String({ maxLength: 4096 })),
        state: Type.Optional(Type.String({ maxLength: 512 })),
        error: Type.Optional(Type.String({ maxLength: 200 })),
        error_description: Type.Optional(Type.String({ maxLength: 1000 }))
      })
    }
  }, async (request, reply) => {
    const { error, error_description: description } = request.query
    if (error !== undefined) {
      // Whoever was signed in before does not stay signed in behind a failed login.
      endSession(request)
      const status = error === 'access_denied' ? 403 : 400
      return reply.code(status).render('pages/login-error', null, {
        title: 'Sign-in did not complete',
        message: `The identity provider answered: ${description ?? error}.`
      })
    }
    try {
      const { user, idToken, next } = await completeLogin(app, request, request.query)
      if (request.userSession !== null) app.sessions.endSession(request.userSession.id)
      // A fresh session at login: only the other tabs' pending logins carry over (they are bound to this
      // browser already); the old session id and CSRF secret do not.
      const otherTabs = request.session.get('pending') ?? []
      request.session.regenerate()
      if (otherTabs.length > 0) request.session.set('pending', otherTabs)
      request.session.set('sid', app.sessions.startSession(user.id, idToken, SESSION_LIFETIME_MS))
      request.log.info({ userId: user.id, role: user.role }, 'login')
      return reply.redirect(next, 302)
    } catch (err) {
      if (!(err instanceof LoginFailure)) throw err
      endSession(request)
      request.log.warn({ reason: err.detail ?? err.message }, 'login refused')
      return reply.code(err.statusCode).render('pages/login-error', null, {
        title: err.statusCode === 403 ? 'Sign-in refused' : 'Sign-in did not complete',
        message: err.message
      })
    }
  })

  function endSession (request: import('fastify').FastifyRequest) {
    if (request.userSession !== null) app.sessions.endSession(request.userSession.id)
    request.user = null
    request.userSession = null
    request.session.delete()
  }

  // POST only (CSRF-checked like every state change): a GET logout could be triggered by any page.
  app.post('/logout/', {
    schema: { body: Type.Object({ _csrf: Type.Optional(Type.String({ maxLength: 200 })) }) }
  }, async (request, reply) => {
    if (request.userSession === null) return reply.redirect('/', 303) // already signed out (or the session expired)
    const idToken = request.userSession.idToken
    endSession(request)
    const endpoint = app.oidc.provider.isConnected ? (await app.oidc.provider.connected()).metadata.end_session_endpoint : undefined
    if (endpoint === undefined) return reply.redirect('/', 303)
    const url = new URL(endpoint)
    url.searchParams.set('id_token_hint', idToken)
    url.searchParams.set('client_id', app.oidc.clientId)
    url.searchParams.set('post_logout_redirect_uri', `${app.config.appUrl}/`)
    if (request.isHtmx) return reply.header('HX-Redirect', url.href).code(204).send()
    return reply.redirect(url.href, 303)
  })
}

export default oidcRoutes
