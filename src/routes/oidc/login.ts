import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { startLogin } from '../../sign-in/start.ts'
import { completeLogin, LoginFailure } from '../../sign-in/complete.ts'
import { endSignIn } from '../../sign-in/end.ts'
import { safeNextPath } from '../../sign-in/safe-next.ts'
import { loginUrl } from '../../plugins/app/auth.ts'

// An over-long next is not an error: it falls back to / (safeNextPath, which reads at most 2000
// characters of it). No length bound here, which would refuse it with 400 instead: the request line is
// bounded already, by Node's header size limit.
const NextQuery = Type.Object({ next: Type.Optional(Type.String()) })
// A replayed or unknown callback restarts the login once in this window; a second one shows a page.
const RESTART_WINDOW_MS = 60_000

/** The sign-in's routes: each calls one step of src/sign-in/ and turns its outcome into an answer. */
const loginRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { signIn } = app

  app.get('/authenticate/', {
    config: { rateLimit: app.loginRateLimit },
    schema: { querystring: NextQuery }
  }, async (request, reply) => {
    return reply.redirect(await startLogin(request.session, signIn.provider, signIn.settings, { next: request.query.next }), 302)
  })

  // Session renewal without a refresh token: re-check the sign-in silently, then back to `next`.
  // Only a sign-in that is due is re-checked, so a link from another site cannot end one (a prompt=none
  // answered login_required ends the session); a due one would be re-checked at its next page anyway.
  app.get('/refresh/', {
    config: { rateLimit: app.loginRateLimit },
    schema: { querystring: Type.Object({ ...NextQuery.properties, resubmit: Type.Optional(Type.Literal('1')) }) }
  }, async (request, reply) => {
    if (request.user !== null && !request.renewalDue) return reply.redirect(safeNextPath(request.query.next), 302)
    const intent = { next: request.query.next, silent: request.user !== null, resubmit: request.query.resubmit === '1' }
    return reply.redirect(await startLogin(request.session, signIn.provider, signIn.settings, intent), 302)
  })

  app.get('/callback/', {
    config: { rateLimit: app.callbackRateLimit },
    schema: {
      querystring: Type.Object({
        code: Type.Optional(Type.String({ maxLength: 4096 })),
        state: Type.Optional(Type.String({ maxLength: 512 })),
        iss: Type.Optional(Type.String({ maxLength: 512 })),
        error: Type.Optional(Type.String({ maxLength: 200 })),
        error_description: Type.Optional(Type.String({ maxLength: 1000 }))
      })
    }
  }, async (request, reply) => {
    try {
      const login = await completeLogin(signIn, request)
      if (login.resubmit) reply.flash('Your sign-in has been checked again. Please send the form again: it was not saved.')
      else if (!login.silent) reply.flash(`Hello ${login.user.username}, you are now signed in.`)
      request.log.info({ userId: login.user.id, role: login.user.role, renewal: login.silent }, 'login')
      return reply.redirect(login.next, 302)
    } catch (err) {
      if (!(err instanceof LoginFailure)) throw err
      const { unknownState, restartable, relogin, detail } = err.options
      if (unknownState === true) {
        // Back button, restored tab, double click: nothing to complete here, and a forged link must
        // neither sign in nor sign out whoever is signed in (that would be logout CSRF).
        if (request.user !== null) return reply.redirect('/', 302)
        const restartedAt = request.session.get('restartedAt') ?? 0
        if (restartable === true && Date.now() - restartedAt > RESTART_WINDOW_MS) {
          request.session.set('restartedAt', Date.now())
          request.log.info('unknown or replayed callback: login restarted')
          return reply.redirect(loginUrl('/'), 302)
        }
      }
      // Whoever was signed in before does not stay signed in behind a failed login or re-check.
      await endSignIn(signIn.sessions, request)
      if (relogin !== undefined) {
        // The provider's sign-in is gone: log in again, and come back to the same page.
        return reply.redirect(await startLogin(request.session, signIn.provider, signIn.settings, relogin), 302)
      }
      request.log.warn({ reason: detail ?? err.message }, 'login refused')
      return reply.code(err.statusCode).render('pages/login-error', null, {
        title: err.statusCode === 403 ? 'Sign-in refused' : 'Sign-in did not complete',
        message: err.message
      })
    }
  })
}

export default loginRoutes
