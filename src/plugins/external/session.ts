import fp from 'fastify-plugin'
import secureSession from '@fastify/secure-session'

export const SESSION_COOKIE = 'polls_session'
const EIGHT_HOURS = 8 * 60 * 60

/** Stateless encrypted cookie sessions: any app process can read them, nothing to store server-side. */
export default fp(async function sessionPlugin (app) {
  await app.register(secureSession, {
    key: app.config.sessionKeys,
    cookieName: SESSION_COOKIE,
    expiry: EIGHT_HOURS,
    cookie: {
      path: '/',
      httpOnly: true,
      sameSite: 'lax',
      secure: app.config.secureCookies,
      maxAge: EIGHT_HOURS
    }
  })
}, { name: 'session' })
