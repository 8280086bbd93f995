import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { endByLogoutToken, LogoutTokenRefused } from '../../sign-in/end.ts'

/**
 * OpenID Connect Back-Channel Logout 1.0: the provider tells us, server to server, that a sign-in has
 * ended; the matching sessions end here, so their cookies stop working at the next request.
 * No CSRF token (the provider has none): the signed logout token is what authenticates the request.
 */
const backchannelLogoutRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post('/backchannel-logout/', {
    config: { csrf: false },
    schema: { body: Type.Object({ logout_token: Type.String({ minLength: 1, maxLength: 8192 }) }) }
  }, async (request, reply) => {
    reply.header('cache-control', 'no-store')
    try {
      const ended = await endByLogoutToken(app.signIn, request.body.logout_token)
      request.log.info({ ended }, 'back-channel logout')
      return reply.code(200).send()
    } catch (err) {
      if (!(err instanceof LogoutTokenRefused)) throw err
      request.log.warn({ reason: err.message }, 'back-channel logout refused')
      const error = err.statusCode === 503 ? 'temporarily_unavailable' : 'invalid_request'
      return reply.code(err.statusCode).send({ error, error_description: err.message })
    }
  })
}

export default backchannelLogoutRoutes
