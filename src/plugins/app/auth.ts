import fp from 'fastify-plugin'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Role } from '../../db/schema.ts'
import { roleAtLeast } from '../../oidc/roles.ts'

export function loginUrl (next: string): string {
  return `/oidc/authenticate/?next=${encodeURIComponent(next)}`
}

/** Eight hours from login, whatever happens in between: the absolute lifetime of a session. */
export const SESSION_LIFETIME_MS = 8 * 60 * 60 * 1000

/**
 * request.user comes from the server-side session row and the database on every request, not from the
 * cookie alone, so logout, deactivation and removed roles end a session even while its cookie is held.
 */
export default fp(async function authPlugin (app) {
  app.decorateRequest('user', null)
  app.decorateRequest('userSession', null)
  app.addHook('onRequest', async (request) => {
    const sid = request.session.get('sid')
    if (sid === undefined) return
    const found = app.sessions.sessionUser(sid)
    if (found === undefined || !found.user.isActive) {
      request.session.delete()
      return
    }
    request.user = found.user
    request.userSession = { id: sid, idToken: found.idToken }
  })

  function sendToLogin (request: FastifyRequest, reply: FastifyReply) {
    // Only GETs can be replayed after login; a POST comes back to the page it was made from.
    const next = request.method === 'GET' ? request.url : (refererPath(request) ?? '/')
    const target = loginUrl(next)
    if (request.isHtmx) {
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

function refererPath (request: FastifyRequest): string | undefined {
  const referer = request.headers.referer
  if (referer === undefined) return undefined
  try {
    const url = new URL(referer)
    return url.origin === new URL(request.server.config.appUrl).origin ? url.pathname + url.search : undefined
  } catch {
    return undefined
  }
}
