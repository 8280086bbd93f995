import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import type { User } from '../db/schema.ts'
import type { SessionUser } from '../db/sessions.ts'
import { profileFromClaims } from './complete-login.ts'
import { TokenEndpointError } from './provider-client.ts'
import { mapRolesFromClaims } from './roles.ts'

/**
 * - renewed: the provider confirmed the sign-in; roles and profile re-read.
 * - ended: the provider no longer stands behind it (refresh refused, roles gone, another subject).
 * - kept: the provider could not be asked (down, slow); the session keeps working within its absolute
 *   lifetime and the renewal is tried again later, so an outage never signs everyone out.
 * - redirect: no usable refresh token; the browser re-checks with prompt=none instead.
 */
export type RenewalResult =
  | { outcome: 'renewed', user: User }
  | { outcome: 'ended' | 'kept' | 'redirect' }

/** The background half of session renewal: the refresh_token grant, then userinfo for the roles. */
export async function renewWithRefreshToken (app: FastifyInstance, log: FastifyBaseLogger, sessionId: string, session: SessionUser): Promise<RenewalResult> {
  const stored = await app.sessions.sessionTokens(sessionId)
  if (stored === undefined) return { outcome: 'ended' }
  const refreshToken = stored.refreshToken === null ? undefined : app.oidc.tokenBox.open(stored.refreshToken)
  if (refreshToken === undefined) return { outcome: 'redirect' }
  const sub = session.user.sub
  try {
    const provider = await app.oidc.provider.connected()
    const tokens = await provider.refresh(refreshToken)
    const idClaims = tokens.idToken === undefined ? {} : await provider.verifyIdToken(tokens.idToken, { sameSubjectAs: sub })
    const userinfo = await provider.fetchUserinfo(tokens.accessToken)
    if (userinfo.sub !== sub) {
      log.warn({ userId: session.user.id }, 'session renewal: userinfo names another subject; session ended')
      return { outcome: 'ended' }
    }
    const role = mapRolesFromClaims([userinfo, idClaims], app.config.oidc.projectId)
    if (role === undefined) {
      await app.sessions.endUserSessions(session.user.id)
      log.info({ userId: session.user.id }, 'session renewal: no role left at the provider; sessions ended')
      return { outcome: 'ended' }
    }
    const user = await app.users.refreshProfile(profileFromClaims({ ...idClaims, ...userinfo }, sub, role))
    if (user === undefined || !user.isActive) return { outcome: 'ended' }
    await app.sessions.recordRenewal(sessionId, {
      idToken: tokens.idToken ?? stored.idToken,
      // Providers that rotate refresh tokens send a new one; the others keep the old one valid.
      refreshToken: app.oidc.tokenBox.seal(tokens.refreshToken ?? refreshToken),
      renewAfterMs: app.config.oidc.renewAfterMs
    })
    log.info({ userId: user.id, role }, 'session renewed')
    return { outcome: 'renewed', user }
  } catch (err) {
    if (err instanceof TokenEndpointError && err.oauthError !== undefined) {
      log.info({ userId: session.user.id, reason: err.oauthError }, 'session renewal refused by the provider; session ended')
      return { outcome: 'ended' }
    }
    if (err instanceof Error && err.name === 'IdTokenError') {
      log.warn({ userId: session.user.id, reason: err.message }, 'session renewal: ID token rejected; session ended')
      return { outcome: 'ended' }
    }
    log.warn({ userId: session.user.id, reason: (err as Error).message }, 'session renewal: provider unreachable; kept for now')
    return { outcome: 'kept' }
  }
}
