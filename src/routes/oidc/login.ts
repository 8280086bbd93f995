import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { Type } from '@sinclair/typebox'
import { completeLogin, LoginFailure } from '../../oidc/complete-login.ts'
import { loginUrl } from '../../plugins/app/auth.ts'

const NextQuery = Type.Object({ next: Type.Optional(Type.String({ maxLength: 2000 })) })
// Answers to prompt=none meaning "the provider's sign-in is gone or needs the person" (OIDC Core 3.1.2.6).
const SIGN_IN_NEEDED = new Set(['login_required', 'interaction_required', 'consent_required', 'account_selection_required'])
// A replayed or unknown callback restarts the login once in this window; a second one shows a page.
const RESTART_WINDOW_MS = 60_000

const loginRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/authenticate/', {
    config: { rateLimit: app.loginRateLimit },
    schema: { querystring: NextQuery }
  }, async (request, reply) => {
    return reply.redirect(await app.oidc.startLogin(request, request.query.next), 302)
  })

  // Session renewal without a refresh token: re-check the sign-in silently, then back to `next`.
  app.get('/refresh/', {
    config: { rateLimit: app.loginRateLimit },
    schema: { querystring: NextQuery }
  }, async (request, reply) => {
    const silent = request.user !== null
    return reply.redirect(await app.oidc.startLogin(request, request.query.next, { silent }), 302)
  })

  app.get('/callback/', {
    config: { rateLimit: app.loginRateLimit },
    schema: {
      querystring: Type.Object({
        code: Type.Optional(Type.String({ maxLength: 4096 })),
        state: Type.Optional(Type.String({ maxLength: 512 })),
        error: Type.Optional(Type.String({ maxLength: 200 })),
        error_description: Type.Optional(Type.String({ maxLength: 1000 }))
      })
    }
  }, async (request, reply) => {
    const { error, error_description: description } = request.query
    if (error !== undefined) {
      const pending = app.oidc.takePendingLogin(request, request.query.state)
      // A link to a made-up error callback must not sign anyone out (that would be logout CSRF).
      if (pending === undefined && request.user !== null) return reply.redirect('/', 302)
      // Whoever was signed in before does not stay signed in behind a failed login or re-check.
      await endSession(request)
      if (pending?.silent === true && SIGN_IN_NEEDED.has(error)) {
        // The provider's sign-in is gone: log in again, and come back to the same page.
        return reply.redirect(await app.oidc.startLogin(request, pending.next), 302)
      }
      const status = error === 'access_denied' ? 403 : 400
      return reply.code(status).render('pages/login-error', null, {
        title: 'Sign-in did not complete',
        message: `The identity provider answered: ${description ?? error}.`
      })
    }
    try {
      const login = await completeLogin(app, request, request.query)
      if (request.userSession !== null) await app.sessions.endSession(request.userSession.id)
      // A fresh session at login: only the other tabs' pending logins carry over (they are bound to this
      // browser already); the old session id and CSRF secret do not.
      const otherTabs = request.session.get('pending') ?? []
      request.session.regenerate()
      if (otherTabs.length > 0) request.session.set('pending', otherTabs)
      request.session.set('sid', await app.sessions.startSession({
        userId: login.user.id,
        idToken: login.idToken,
        providerSid: login.providerSid,
        refreshToken: login.refreshToken === undefined ? undefined : app.oidc.tokenBox.seal(login.refreshToken),
        lifetimeMs: app.config.sessionLifetimeMs,
        renewAfterMs: app.config.oidc.renewAfterMs
      }))
      if (!login.silent) reply.flash(`Hello ${login.user.username}, you are now signed in.`)
      request.log.info({ userId: login.user.id, role: login.user.role, renewal: login.silent }, 'login')
      return reply.redirect(login.next, 302)
    } catch (err) {
      if (!(err instanceof LoginFailure)) throw err
      if (err.unknownState) {
        // Back button, restored tab, double click: nothing to complete here, and a forged link must
        // neither sign in nor sign out whoever is signed in.
        if (request.user !== null) return reply.redirect('/', 302)
        const restartedAt = request.session.get('restartedAt') ?? 0
        if (Date.now() - restartedAt > RESTART_WINDOW_MS) {
          request.session.set('restartedAt', Date.now())
          request.log.info('unknown or replayed callback: login restarted')
          return reply.redirect(loginUrl('/'), 302)
        }
      }
      await endSession(request)
      request.log.warn({ reason: err.detail ?? err.message }, 'login refused')
      return reply.code(err.statusCode).render('pages/login-error', null, {
        title: err.statusCode === 403 ? 'Sign-in refused' : 'Sign-in did not complete',
        message: err.message
      })
    }
  })

  /** Signs out whoever was signed in; other tabs' pending logins and the restart marker stay. */
  async function endSession (request: FastifyRequest) {
    if (request.userSession !== null) await app.sessions.endSession(request.userSession.id)
    request.user = null
    request.userSession = null
    request.session.regenerate(['pending', 'restartedAt'])
  }
}

export default loginRoutes
