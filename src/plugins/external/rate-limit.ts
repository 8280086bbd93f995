import fp from 'fastify-plugin'
import rateLimit, { normalizeIP } from '@fastify/rate-limit'
import type { FastifyRequest } from 'fastify'
import { PENDING_TTL_MS, hasPendingLogin } from '../../sign-in/start.ts'

declare module 'fastify' {
  interface FastifyInstance {
    /** Route options for starting a login or a re-check: per client address. */
    loginRateLimit: { max: number, timeWindow: string }
    /** Route options for the callback: per pending login for this browser's own login, else per client address. */
    callbackRateLimit: {
      keyGenerator: (request: FastifyRequest) => string
      max: (request: FastifyRequest, key: string) => number
      timeWindow: (request: FastifyRequest, key: string) => number
    }
    /** Route options for voting: per signed-in user (several people may share an address). */
    voteRateLimit: { max: number, timeWindow: string, keyGenerator: (request: FastifyRequest) => string }
  }
}

// A browser may send its callback again (a retry after a lost answer, a double click) before its cookie changes.
const CALLBACKS_PER_PENDING_LOGIN = 3
const MINUTE_MS = 60_000

/**
 * Limits only where abuse costs something: logins and votes. In-memory per process; the 429 goes through
 * the error handler (a page, or a fragment for htmx) with Retry-After.
 *
 * A whole office behind NAT is one address, so the login limit is per address but generous, and login
 * starts and callbacks count separately. A callback that carries the state of a login this browser
 * started (in its encrypted session) is counted on that login alone, never on the address: other
 * people's traffic, forged callbacks included, cannot make a real sign-in fail after the person signed
 * in at the provider. Using a pending login only rewrites the cookie, so a kept copy of the old cookie
 * could replay its callback (each one a token request to the provider): a few per login are allowed,
 * for a retried or doubled callback, and no more during the login's lifetime.
 */
export default fp(async function rateLimitPlugin (app) {
  await app.register(rateLimit, { global: false })
  const { loginsPerMinute, votesPerMinute } = app.config.rateLimits
  app.decorate('loginRateLimit', { max: loginsPerMinute, timeWindow: '1 minute' })
  const ofPendingLogin = (key: string) => key.startsWith('state:')
  app.decorate('callbackRateLimit', {
    keyGenerator: (request: FastifyRequest) => {
      const { state } = request.query as { state?: unknown }
      return hasPendingLogin(request.session, state) ? `state:${String(state)}` : `ip:${normalizeIP(request.ip)}`
    },
    max: (_request: FastifyRequest, key: string) => ofPendingLogin(key) ? CALLBACKS_PER_PENDING_LOGIN : loginsPerMinute,
    timeWindow: (_request: FastifyRequest, key: string) => ofPendingLogin(key) ? PENDING_TTL_MS : MINUTE_MS
  })
  app.decorate('voteRateLimit', {
    max: votesPerMinute,
    timeWindow: '1 minute',
    keyGenerator: (request: FastifyRequest) => request.user === null ? `ip:${request.ip}` : `user:${request.user.id}`
  })
}, { name: 'rate-limit', dependencies: ['auth'] })
