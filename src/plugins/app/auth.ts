import fp from 'fastify-plugin'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Role } from '../../db/schema.ts'
import { roleAtLeast } from '../../sign-in/claims.ts'
import { checkRenewal, type RenewalCheck } from '../../sign-in/renew.ts'
import { endSignIn } from '../../sign-in/end.ts'
import { whenReady, type SessionUser } from '../../db/store.ts'

export function loginUrl (next: string): string {
  return `/oidc/authenticate/?next=${encodeURIComponent(next)}`
}

/** `resubmit`: the request that was sent through the re-check changed something; the page says to send it again. */
export function refreshUrl (next: string, { resubmit = false } = {}): string {
  return `/oidc/refresh/?next=${encodeURIComponent(next)}${resubmit ? '&resubmit=1' : ''}`
}

// Activity is written at most this often per session: the idle timeout needs minutes, not milliseconds,
// and a write on every request would cost every request.
const TOUCH_EVERY_MS = 60_000
// Methods that change nothing (RFC 9110 safe methods).
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * This request may not be served on the sign-in as it is: it is due for a re-check at the provider
     * that only a redirect can do (and, for a state change, no grace applies).
     */
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


  // Callback style, so that the requests that need no renewal (nearly all) make no promise on SQLite,
  // whose store answers synchronously (whenReady); PostgreSQL's answers arrive as promises.
  app.addHook('onRequest', (request, _reply, done) => {
    const sid = request.session.get('sid')
    if (sid === undefined) return done()
    const now = Date.now()
    whenReady(app.sessions.sessionUser(sid, now), (found) => checkSession(request, sid, now, found, done), done)
  })

  function checkSession (request: FastifyRequest, sid: string, now: number, found: SessionUser | undefined, done: (err?: Error) => void) {
    // The session row is the sign-in: gone, deactivated or idle too long, it ends here.
    request.userSession = { id: sid }
    const lastSeen = found?.lastSeenAt.getTime() ?? 0
    const end = () => whenReady(endSignIn(app.sessions, request), () => done(), done)
    if (found === undefined || !found.user.isActive || now - lastSeen > idleMs) return end()
    const signIn = (check: RenewalCheck) => {
      if (check.outcome === 'ended') return end()
      request.user = check.user
      request.renewalDue = check.recheckFirst
      // A request sent to the re-check is not activity: it must not keep an unconfirmed sign-in alive.
      if (!check.recheckFirst && now - lastSeen > TOUCH_EVERY_MS) return whenReady(app.sessions.touchSession(sid, now), () => done(), done)
      done()
    }
    // A state change (and the re-check route itself) holds to the outage grace; a read is served until
    // the re-check can happen.
    const strict = !SAFE_METHODS.has(request.method) || request.routeOptions.url === '/oidc/refresh/'
    whenReady(checkRenewal(app.signIn, request.log, sid, found, strict, now), signIn, done)
  }

  // The re-check without a usable refresh token is a prompt=none round trip through the provider, which
  // only a whole page can make. A GET goes through it and back; a state change is not served on the old
  // sign-in: the browser goes through the re-check back to its page, which asks to send it again.
  // htmx requests send the whole page (HX-Redirect), never a login page into a fragment.
  app.addHook('preHandler', (request, reply, done) => {
    // The sign-in's own routes are exempt, by the route matched rather than by how the URL is spelled.
    if (!request.renewalDue || request.routeOptions.url?.startsWith('/oidc/') === true) return done()
    const changesState = !SAFE_METHODS.has(request.method)
    const page = currentPagePath(request)
    if (request.headers['hx-request'] === 'true') {
      reply.code(204).header('HX-Redirect', refreshUrl(page ?? '/', { resubmit: changesState })).send()
      return
    }
    if (changesState) {
      reply.redirect(refreshUrl(page ?? '/', { resubmit: true }), 303)
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
}, { name: 'auth', dependencies: ['db', 'session', 'sign-in'] })

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
