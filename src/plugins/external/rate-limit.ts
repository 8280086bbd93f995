import fp from 'fastify-plugin'
import rateLimit from '@fastify/rate-limit'
import type { FastifyRequest } from 'fastify'

declare module 'fastify' {
  interface FastifyInstance {
    /** Route options for the login routes: per client address. */
    loginRateLimit: { max: number, timeWindow: string }
    /** Route options for voting: per signed-in user (several people may share an address). */
    voteRateLimit: { max: number, timeWindow: string, keyGenerator: (request: FastifyRequest) => string }
  }
}

/**
 * Limits only where abuse costs something: starting logins (each writes a session) and the callback,
 * and votes. In-memory per process; the 429 goes through the error handler (a page, or a fragment for
 * htmx) with Retry-After.
 */
export default fp(async function rateLimitPlugin (app) {
  await app.register(rateLimit, { global: false })
  const { loginsPerMinute, votesPerMinute } = app.config.rateLimits
  app.decorate('loginRateLimit', { max: loginsPerMinute, timeWindow: '1 minute' })
  app.decorate('voteRateLimit', {
    max: votesPerMinute,
    timeWindow: '1 minute',
    keyGenerator: (request: FastifyRequest) => request.user === null ? `ip:${request.ip}` : `user:${request.user.id}`
  })
}, { name: 'rate-limit', dependencies: ['auth'] })
