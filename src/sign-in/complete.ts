import * as client from 'openid-client'
import type { FastifyRequest } from 'fastify'
import type { User } from '../db/schema.ts'
import type { SessionStore, UserStore } from '../db/store.ts'
import { mapRolesFromClaims, profileFromClaims } from './claims.ts'
import { failureKind, type ConnectedProvider, type ProviderClient } from './provider.ts'
import { takePendingLogin } from './start.ts'
import type { TokenBox } from './token-box.ts'

/** What the callback page should say when a login does not complete. Messages are shown to the person. */
export class LoginFailure extends Error {
  constructor (readonly statusCode: number, message: string, readonly detail?: string, readonly unknownState = false) {
    super(message)
    this.name = 'LoginFailure'
  }
}

export interface CompleteLoginDeps {
  provider: ProviderClient
  users: UserStore
  sessions: SessionStore
  tokenBox: TokenBox
  settings: { appUrl: string, projectId: string, sessionLifetimeMs: number, renewAfterMs: number }
}

export interface CompletedLogin {
  user: User
  next: string
  silent: boolean
  resubmit: boolean
}

/**
 * Step 2, complete: the provider sent the browser back with a code. The pending login of its state is
 * taken (single use); openid-client exchanges the code with the PKCE verifier and checks state, iss,
 * aud, azp, exp and nonce; jose checks the ID token's signature on the provider's keys; userinfo must
 * name the same subject. Then the roles decide, the account is upserted, and a fresh session starts:
 * a new cookie (only the other tabs' pending logins carry over) and a new session row.
 * Throws LoginFailure; signs out whoever was signed in only when a login actually fails.
 */
export async function completeLogin (deps: CompleteLoginDeps, request: FastifyRequest): Promise<CompletedLogin> {
  const { state, code } = request.query as { state?: string, code?: string }
  const pending = takePendingLogin(request.session, state)
  if (pending === undefined || code === undefined) {
    throw new LoginFailure(400, 'This sign-in link has expired or was already used.', undefined, pending === undefined)
  }
  let provider: ConnectedProvider
  try {
    provider = await deps.provider.connected()
  } catch (err) {
    throw new LoginFailure(503, 'The identity provider is unavailable right now. Please try again in a minute.', (err as Error).message)
  }

  let tokens: client.TokenEndpointResponse
  let idClaims: Awaited<ReturnType<ConnectedProvider['tokens']['verifyIdToken']>>
  let userinfo: Record<string, unknown>
  try {
    tokens = await client.authorizationCodeGrant(provider.config, new URL(request.url, deps.settings.appUrl), {
      pkceCodeVerifier: pending.codeVerifier,
      expectedState: pending.state,
      expectedNonce: pending.nonce,
      idTokenExpected: true
    })
    idClaims = await provider.tokens.verifyIdToken(tokens.id_token as string, { nonce: pending.nonce })
    userinfo = await client.fetchUserInfo(provider.config, tokens.access_token, idClaims.sub)
  } catch (err) {
    const kind = failureKind(err)
    const reason = (err as Error).message
    if (kind === 'refused') throw new LoginFailure(400, 'The identity provider did not accept this sign-in. Please log in again.', reason)
    if (kind === 'unreachable') throw new LoginFailure(502, 'The identity provider could not be reached to complete the sign-in. Please try again.', reason)
    throw new LoginFailure(400, 'The identity provider\'s answer could not be verified.', reason)
  }

  const existing = await deps.users.userBySub(idClaims.sub)
  const role = mapRolesFromClaims([userinfo, idClaims], deps.settings.projectId)
  if (role === undefined) {
    // Roles removed at the provider: the account's open sessions end too, not only this login.
    if (existing !== undefined) await deps.sessions.endUserSessions(existing.id)
    throw new LoginFailure(403, 'Your account has no role in this application, so you cannot sign in. Ask an administrator to grant you the admin, staff or user role in the identity provider.')
  }
  if (existing !== undefined && !existing.isActive) {
    throw new LoginFailure(403, 'Your account has been deactivated in this application. Ask an administrator to reactivate it.')
  }
  const user = await deps.users.recordLogin(profileFromClaims({ ...idClaims, ...userinfo }, idClaims.sub, role))

  if (request.userSession !== null) await deps.sessions.endSession(request.userSession.id)
  const otherTabs = request.session.get('pending') ?? []
  request.session.regenerate()
  if (otherTabs.length > 0) request.session.set('pending', otherTabs)
  request.session.set('sid', await deps.sessions.startSession({
    userId: user.id,
    idToken: tokens.id_token as string,
    providerSid: typeof idClaims.sid === 'string' && idClaims.sid !== '' ? idClaims.sid : undefined,
    refreshToken: tokens.refresh_token === undefined ? undefined : deps.tokenBox.seal(tokens.refresh_token),
    lifetimeMs: deps.settings.sessionLifetimeMs,
    renewAfterMs: deps.settings.renewAfterMs
  }))
  return { user, next: pending.next, silent: pending.silent === true, resubmit: pending.resubmit === true }
}
