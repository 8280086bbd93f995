import * as client from 'openid-client'
import type { FastifyRequest } from 'fastify'
import type { Awaitable, SessionStore } from '../db/store.ts'
import { failureKind, type ProviderClient } from './provider.ts'

/**
 * Step 4, end, here (the one place a sign-in ends for a request): the session row goes, so every copy of
 * the cookie stops working, and the cookie gets a fresh session that keeps only the other tabs' pending
 * logins and the restart marker. Logout, timeouts, ended renewals and failed logins all come here.
 */
export function endSignIn (sessions: SessionStore, request: FastifyRequest): Awaitable<void> {
  const ended = request.userSession === null ? undefined : sessions.endSession(request.userSession.id)
  request.user = null
  request.userSession = null
  request.session.regenerate(['pending', 'restartedAt'])
  return ended
}

/**
 * RP-initiated logout: ends the sign-in here, then the URL that ends it at the provider too (with
 * id_token_hint), or undefined when the provider has no end_session_endpoint or is not known yet.
 */
export async function logOut (deps: { sessions: SessionStore, provider: ProviderClient, settings: { appUrl: string, clientId: string } }, request: FastifyRequest): Promise<string | undefined> {
  const idToken = request.userSession === null ? undefined : (await deps.sessions.sessionTokens(request.userSession.id))?.idToken
  await endSignIn(deps.sessions, request)
  const provider = deps.provider.current
  if (provider?.metadata.end_session_endpoint === undefined) return undefined
  return client.buildEndSessionUrl(provider.config, {
    client_id: deps.settings.clientId,
    post_logout_redirect_uri: `${deps.settings.appUrl}/`,
    ...(idToken === undefined ? {} : { id_token_hint: idToken })
  }).href
}

export class LogoutTokenRefused extends Error {
  constructor (readonly statusCode: 400 | 503, message: string) {
    super(message)
    this.name = 'LogoutTokenRefused'
  }
}

/**
 * Back-Channel Logout 1.0: the provider says, server to server, that a sign-in ended. The token is
 * checked with jose (openid-client has no logout tokens), its jti is used once across processes, and
 * the sessions it names end, but only those started by its iat. Returns how many ended.
 */
export async function endByLogoutToken (deps: { sessions: SessionStore, provider: ProviderClient, settings: { clockToleranceSeconds: number } }, logoutToken: string): Promise<number> {
  let claims
  try {
    claims = await (await deps.provider.connected()).tokens.verifyLogoutToken(logoutToken)
  } catch (err) {
    throw new LogoutTokenRefused(failureKind(err) === 'unreachable' ? 503 : 400, (err as Error).message)
  }
  // Remembered until it expires (with the clock tolerance its exp check allows), so a replay is refused.
  const toleranceMs = deps.settings.clockToleranceSeconds * 1000
  if (!await deps.sessions.useLogoutToken(claims.jti, new Date(claims.expiresAt.getTime() + toleranceMs))) {
    throw new LogoutTokenRefused(400, 'logout token rejected: already used')
  }
  return deps.sessions.endProviderSessions({ sid: claims.sid, sub: claims.sub, startedBy: new Date(claims.issuedAt.getTime() + toleranceMs) })
}
