import fp from 'fastify-plugin'
import csrfProtection from '@fastify/csrf-protection'

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

/**
 * One hook for every state-changing request, so no route can forget it. The token comes from the
 * `_csrf` form field (plain forms) or the `x-csrf-token` header (htmx, set from the page's meta tag).
 * A request with no signed-in user carries no authority a forged request could borrow, so it goes on
 * to the route's guard, which sends it to the login (an expired session then gets HX-Redirect, not a
 * "form expired" message swapped into the page).
 */
export default fp(async function csrfPlugin (app) {
  await app.register(csrfProtection, { sessionPlugin: '@fastify/secure-session', logLevel: 'info' })
  app.addHook('preValidation', (request, reply, done) => {
    if (SAFE_METHODS.has(request.method) || request.routeOptions.config.csrf === false || request.user === null) return done()
    app.csrfProtection(request, reply, done)
  })
}, { name: 'csrf', dependencies: ['session', 'auth'] })
