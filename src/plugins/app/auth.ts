import fp from 'fastify-plugin'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Role, User } from '../../db/schema.ts'
import { roleAtLeast } from '../../oidc/roles.ts'
import { renewWithRefreshToken } from '../../oidc/renew-session.ts'
import { whenReady, type SessionUser } from '../../db/store.ts'

export function loginUrl (next: string): string {
  return `/oidc/authenticate/?next=${encodeURIComponent(next)}`
}

export function refreshUrl (next: string): string {
  return `/oidc/refresh/?next=${encodeURIComponent(next)}`
}

// Activity is written at most this often per session: the idle timeout needs minutes, not milliseconds,
// and a write on every request would cost every request.
const TOUCH_EVERY_MS = 60_000
// A renewal that could not reach the provider is tried again after this long.
const RENEW_RETRY_MS = 60_000

declare module 'fastify' {
  interface FastifyRequest {
    /** The sign-in is due for a re-check at the provider and can only be done by a redirect. */
    renewalDue: boolean
  }
}

/**
 * request.user comes from the server-side session row and the database on every request, not from the
 * cookie alone, so logout, back-channel logout, deactivation and removed roles end a session even while
 * its cookie is held. The same place enforces the idle timeout and renews the sign-in when it is due.
 */
export default fp(async function authPlugin (app) {
  const idleMs = app.config.sessionIdleTimeoutMs
  app.decorateRequest('user', null)
  app.decorateRequest('userSession', null)
  app.decorateRequest('renewalDue', false)

  function endSession (request: FastifyRequest, sid: string, done: (err?: Error) => void) {
    request.session.delete()
    whenReady(app.sessions.endSession(sid), () => done(), done)
  }

  // Callback style, so that the requests that need no renewal (nearly all) make no promise on SQLite,
  // whose store answers synchronously (whenReady); PostgreSQL's answers arrive as promises.
  app.addHook('onRequest', (request, _reply, done) => {
    const sid = request.session.get('sid')
    if (sid === undefined) return done()
    const now = Date.now()
    whenReady(app.sessions.sessionUser(sid, now), (found) => checkSession(request, sid, now, found, done), done)
  })

  function checkSession (request: FastifyRequest, sid: string, now: number, found: SessionUser | undefined, done: (err?: Error) => void) {
    if (found === undefined || !found.user.isActive) {
      request.session.delete()
      return done()
    }
    const lastSeen = found.lastSeenAt.getTime()
    if (now - lastSeen > idleMs) return endSession(request, sid, done)
    if (now - lastSeen > TOUCH_EVERY_MS) whenReady(app.sessions.touchSession(sid, now), () => decide(request, sid, now, found, done), done)
    else decide(request, sid, now, found, done)
  }

  function decide (request: FastifyRequest, sid: string, now: number, found: SessionUser, done: (err?: Error) => void) {
    const signIn = (user: User) => {
      request.user = user
      request.userSession = { id: sid }
      done()
    }
    if (found.renewAt.getTime() > now) return signIn(found.user)
    if (!found.hasRefreshToken) {
      request.renewalDue = true
      return signIn(found.user)
    }
    // One request renews (the claim is one UPDATE, so across processes and nodes too); the others go on
    // with the session as it is, which is still within its absolute lifetime.
    whenReady(app.sessions.claimRenewal(sid, RENEW_RETRY_MS, now), (claimed) => {
      if (!claimed) return signIn(found.user)
      renewWithRefreshToken(app, request.log, sid, found).then((result) => {
        if (result.outcome === 'ended') return endSession(request, sid, done)
        if (result.outcome === 'redirect') request.renewalDue = true
        signIn(result.outcome === 'renewed' ? result.user : found.user)
      }, done)
    }, done)
  }

  // Without a refresh token the re-check is a prompt=none round trip through the provider, which only
  // a whole-page GET can make. POSTs are served (a vote is never lost to a renewal); htmx GETs send the
  // whole page through it and back.
  app.addHook('preHandler', (request, reply, done) => {
    if (!request.renewalDue || request.method !== 'GET' || request.url.startsWith('/oidc/')) return done()
    if (request.headers['hx-request'] === 'true') {
      reply.code(204).header('HX-Redirect', refreshUrl(currentPagePath(request) ?? '/')).send()
      return
    }
    reply.redirect(refreshUrl(request.url), 302)
  })

  function sendToLogin (request: FastifyRequest, reply: FastifyReply) {
    // After the login the browser comes back to the page it showed (a POST cannot be replayed; a
    // fragment's URL also serves its whole page, the fallback when the page is not known).
    const next = request.method !== 'GET' ? (currentPagePath(request) ?? '/')
      : request.isHtmx ? (currentPagePath(request) ?? request.url) : request.url
    const target = loginUrl(next)
    if (request.headers['hx-request'] === 'true') {
      // A login page must never be swapped into a fragment: the whole page goes to the login.
      return reply.code(401).header('HX-Redirect', target).send()
    }
    return reply.redirect(target, 302)
  }

  app.decorate('requireLogin', async function requireLogin (request: FastifyRequest, reply: FastifyReply) {
    if (request.user === null) return sendToLogin(request, reply)
  })

  app.decorate('requireRole', function requireRole (role: Role) {
    return async function requireRoleHandler (request: FastifyRequest, reply: FastifyReply) {
      if (request.user === null) return sendToLogin(request, reply)
      if (!roleAtLeast(request.user.role, role)) {
        throw app.httpErrors.forbidden(`This page needs the ${role} role; your role is ${request.user.role}.`)
      }
    }
  })
}, { name: 'auth', dependencies: ['db', 'session'] })

/** The page the browser shows: htmx says so in HX-Current-URL; a plain form post in its Referer. */
function currentPagePath (request: FastifyRequest): string | undefined {
  for (const header of [request.headers['hx-current-url'], request.headers.referer]) {
    if (typeof header !== 'string') continue
    try {
      const url = new URL(header)
      if (url.origin === new URL(request.server.config.appUrl).origin) return url.pathname + url.search
    } catch { /* not a URL: try the next */ }
  }
  return undefined
}
