import fp from 'fastify-plugin'
import rateLimit from '@fastify/rate-limit'
import type { FastifyRequest } from 'fastify'
import { hasPendingLogin } from '../../sign-in/start.ts'

declare module 'fastify' {
  interface FastifyInstance {
    /** Route options for starting a login or a re-check: per client address. */
    loginRateLimit: { max: number, timeWindow: string }
    /** Route options for the callback: per client address, except a callback of this browser's own login. */
    callbackRateLimit: { max: number, timeWindow: string, allowList: (request: FastifyRequest) => boolean }
    /** Route options for voting: per signed-in user (several people may share an address). */
    voteRateLimit: { max: number, timeWindow: string, keyGenerator: (request: FastifyRequest) => string }
  }
}

/**
 * Limits only where abuse costs something: logins and votes. In-memory per process; the 429 goes through
 * the error handler (a page, or a fragment for htmx) with Retry-After.
 *
 * A whole office behind NAT is one address, so the login limit is per address but generous, and login
 * starts and callbacks count separately. A callback that carries the state of a login this browser
 * started (in its encrypted session) is never counted or refused: other people's traffic, forged
 * callbacks included, cannot make a real sign-in fail after the person signed in at the provider.
 */
export default fp(async function rateLimitPlugin (app) {
  await app.register(rateLimit, { global: false })
  const { loginsPerMinute, votesPerMinute } = app.config.rateLimits
  app.decorate('loginRateLimit', { max: loginsPerMinute, timeWindow: '1 minute' })
  app.decorate('callbackRateLimit', {
    max: loginsPerMinute,
    timeWindow: '1 minute',
    allowList: (request: FastifyRequest) => hasPendingLogin(request.session, (request.query as { state?: unknown }).state)
  })
  app.decorate('voteRateLimit', {
    max: votesPerMinute,
    timeWindow: '1 minute',
    keyGenerator: (request: FastifyRequest) => request.user === null ? `ip:${request.ip}` : `user:${request.user.id}`
  })
}, { name: 'rate-limit', dependencies: ['auth'] })
