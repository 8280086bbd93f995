import * as client from 'openid-client'
import type { FastifyRequest } from 'fastify'
import type { User } from '../db/schema.ts'
import type { SessionStore, UserStore } from '../db/store.ts'
import { endSignIn } from './end.ts'
import { mapRolesFromClaims, profileFromClaims } from './claims.ts'
import { failureKind, type ConnectedProvider, type ProviderClient } from './provider.ts'
import { takePendingLogin, type LoginIntent } from './start.ts'
import type { TokenBox } from './token-box.ts'

export interface LoginFailureOptions {
  /** For the log: what failed, in the provider's or the library's words. */
  detail?: string
  /** No pending login of this browser has the callback's state: whoever is signed in stays signed in. */
  unknownState?: boolean
  /** A stale or replayed code (back button, restored tab): the login may simply start again. */
  restartable?: boolean
  /** A prompt=none re-check the provider answered "sign-in needed": log in again, back to the same page. */
  relogin?: LoginIntent
}

/** What the callback page should say when a login does not complete. Messages are shown to the person. */
export class LoginFailure extends Error {
  constructor (readonly statusCode: number, message: string, readonly options: LoginFailureOptions = {}) {
    super(message)
    this.name = 'LoginFailure'
  }
}

// Answers to prompt=none meaning "the provider's sign-in is gone or needs the person" (OIDC Core 3.1.2.6).
const SIGN_IN_NEEDED = new Set(['login_required', 'interaction_required', 'consent_required', 'account_selection_required'])

export interface CompleteLoginDeps {
  provider: ProviderClient
  users: UserStore
  sessions: SessionStore
  tokenBox: TokenBox
  settings: { appUrl: string, callbackUri: string, projectId: string, sessionLifetimeMs: number, renewAfterMs: number }
}

export interface CompletedLogin {
  user: User
  next: string
  silent: boolean
  resubmit: boolean
}

/**
 * Step 2, complete: the provider sent the browser back with a code, or with an error. The pending login
 * of its state is taken (single use); openid-client exchanges the code with the PKCE verifier and checks state, iss,
 * aud, azp, exp and nonce; jose checks the ID token's signature on the provider's keys; userinfo must
 * name the same subject. Then the roles decide, the account is upserted, and a fresh session starts:
 * a new cookie (only the other tabs' pending logins carry over) and a new session row.
 * Throws LoginFailure; signs out whoever was signed in only when a login actually fails.
 */
export async function completeLogin (deps: CompleteLoginDeps, request: FastifyRequest): Promise<CompletedLogin> {
  const { state, code, error, error_description: description } = request.query as Record<string, string | undefined>
  const pending = takePendingLogin(request.session, state)
  if (error !== undefined) {
    if (pending?.silent === true && SIGN_IN_NEEDED.has(error)) {
      throw new LoginFailure(401, 'Please sign in again.', { detail: error, relogin: { next: pending.next, resubmit: pending.resubmit } })
    }
    // The provider's own words only for a login this browser started: a made-up link could put any text here.
    const said = pending === undefined ? error : description ?? error
    throw new LoginFailure(error === 'access_denied' ? 403 : 400, `The identity provider answered: ${said}.`, { detail: error, unknownState: pending === undefined })
  }
  if (pending === undefined || code === undefined) {
    throw new LoginFailure(400, 'This sign-in link has expired or was already used.', { unknownState: pending === undefined, restartable: true })
  }
  let provider: ConnectedProvider
  try {
    provider = await deps.provider.connected()
  } catch (err) {
    throw new LoginFailure(503, 'The identity provider is unavailable right now. Please try again in a minute.', { detail: (err as Error).message })
  }

  let tokens: client.TokenEndpointResponse
  let idClaims: Awaited<ReturnType<ConnectedProvider['tokens']['verifyIdToken']>>
  let userinfo: Record<string, unknown>
  try {
    // openid-client takes redirect_uri from this URL: the registered one, whatever spelling the request
    // used (/oidc/callback without the slash is routed here too), with the provider's parameters.
    const currentUrl = new URL(deps.settings.callbackUri)
    currentUrl.search = new URL(request.url, deps.settings.appUrl).search
    tokens = await client.authorizationCodeGrant(provider.config, currentUrl, {
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
    if (kind === 'refused') throw new LoginFailure(400, 'The identity provider did not accept this sign-in. Please log in again.', { detail: reason })
    if (kind === 'unreachable') throw new LoginFailure(502, 'The identity provider could not be reached to complete the sign-in. Please try again.', { detail: reason })
    throw new LoginFailure(400, 'The identity provider\'s answer could not be verified.', { detail: reason })
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

  await endSignIn(deps.sessions, request)
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
