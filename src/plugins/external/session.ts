import fp from 'fastify-plugin'
import secureSession from '@fastify/secure-session'

export const SESSION_COOKIE = 'polls_session'

/** Encrypted cookie sessions: any app process can read them; the cookie holds the id of a server-side session row. */
export default fp(async function sessionPlugin (app) {
  // The cookie lives as long as the longest a session may (the server-side row decides the rest).
  const lifetimeSeconds = Math.ceil(app.config.sessionLifetimeMs / 1000)
  await app.register(secureSession, {
    key: app.config.sessionKeys,
    cookieName: SESSION_COOKIE,
    expiry: lifetimeSeconds,
    cookie: {
      path: '/',
      httpOnly: true,
      sameSite: 'lax',
      secure: app.config.secureCookies,
      maxAge: lifetimeSeconds
    }
  })
}, { name: 'session' })
