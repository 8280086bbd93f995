import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { ProviderUnavailableError } from '../../oidc/discovery.ts'
import { isKeyFetchFailure } from '../../oidc/verify-id-token.ts'

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
    let claims: { sid?: string, sub?: string }
    try {
      const provider = await app.oidc.provider.connected()
      claims = await provider.verifyLogoutToken(request.body.logout_token)
    } catch (err) {
      const unavailable = err instanceof ProviderUnavailableError || isKeyFetchFailure(err)
      request.log.warn({ reason: (err as Error).message }, 'back-channel logout refused')
      return reply.code(unavailable ? 503 : 400).send({ error: unavailable ? 'temporarily_unavailable' : 'invalid_request', error_description: (err as Error).message })
    }
    const ended = await app.sessions.endProviderSessions(claims)
    request.log.info({ ended, bySid: claims.sid !== undefined }, 'back-channel logout')
    return reply.code(200).send()
  })
}

export default backchannelLogoutRoutes
