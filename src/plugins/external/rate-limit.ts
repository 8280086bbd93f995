import fp from 'fastify-plugin'
import rateLimit, { normalizeIP } from '@fastify/rate-limit'
import { Redis } from 'ioredis'
import type { FastifyBaseLogger, FastifyRequest } from 'fastify'
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

/**
 * The counters' Redis when REDIS_URL is set. Every wait is bounded: a command fails after a short
 * timeout and is never queued while disconnected, so a Redis outage costs a request milliseconds, not
 * a hang. ioredis reconnects by itself; the outage and the recovery are logged once each.
 */
function connectRedis (url: string, log: FastifyBaseLogger): Redis {
  const redis = new Redis(url, {
    connectTimeout: 2_000,
    commandTimeout: 500,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000)
  })
  let down = false
  const markDown = (reason: string) => {
    if (down) return
    down = true
    log.error(`Redis for the rate limits is unreachable (${reason}): requests are not rate-limited until it is back`)
  }
  redis.on('error', (err: Error) => { markDown(err.message) })
  redis.on('close', () => { markDown('connection closed') })
  redis.on('ready', () => {
    if (!down) return
    down = false
    log.warn('Redis for the rate limits is reachable again: rate limits apply')
  })
  return redis
}

// A browser may send its callback again (a retry after a lost answer, a double click) before its cookie changes.
const CALLBACKS_PER_PENDING_LOGIN = 3
const MINUTE_MS = 60_000

/**
 * Limits only where abuse costs something: logins and votes. The counters live in Redis when REDIS_URL
 * is set, so several nodes share them; otherwise each process counts alone. If Redis is down, requests
 * go through unlimited (skipOnError): a limit that cannot be counted must not lock everyone out of
 * signing in and voting. The 429 goes through the error handler (a page, or a fragment for htmx) with
 * Retry-After.
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
  const { redisUrl } = app.config
  const redis = redisUrl === undefined ? undefined : connectRedis(redisUrl, app.log)
  if (redis !== undefined) {
    app.addHook('onClose', async () => { redis.disconnect() })
    // Start counting from the first request; a Redis that is down delays the start by one failed
    // connection attempt at most (connectTimeout), then the node serves unlimited until it is back.
    await new Promise<void>((resolve) => { redis.once('ready', resolve); redis.once('error', () => resolve()) })
  }
  await app.register(rateLimit, { global: false, ...(redis === undefined ? {} : { redis, nameSpace: 'polls-rate-limit-', skipOnError: true }) })
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
