import fp from 'fastify-plugin'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Role } from '../../db/schema.ts'
import { roleAtLeast } from '../../oidc/roles.ts'

export function loginUrl (next: string): string {
  return `/oidc/authenticate/?next=${encodeURIComponent(next)}`
}

/**
 * request.user comes from the database on every request, not from the cookie alone, so a deactivated
 * account stops working at its next request.
 */
export default fp(async function authPlugin (app) {
  app.decorateRequest('user', null)
  app.addHook('onRequest', async (request) => {
    const uid = request.session.get('uid')
    if (uid === undefined) return
    const user = app.users.userById(uid)
    if (user === undefined || !user.isActive) {
      request.session.delete()
      return
    }
    request.user = user
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
