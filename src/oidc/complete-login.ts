import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { Role, User } from '../db/schema.ts'
import type { ProfileFromProvider } from '../db/users.ts'
import { mapRolesFromClaims } from './roles.ts'
import { TokenEndpointError, type ConnectedProvider } from './provider-client.ts'
import { isKeyFetchFailure } from './verify-id-token.ts'

/** What the callback page should say when a login does not complete. Messages are shown to the person. */
export class LoginFailure extends Error {
  /** True when no pending login matched the callback's state (replayed, stale or forged callback). */
  unknownState = false
  constructor (readonly statusCode: number, message: string, readonly detail?: string) {
    super(message)
    this.name = 'LoginFailure'
  }
}

export interface CompletedLogin {
  user: User
  idToken: string
  next: string
  /** The provider's session id (ID token `sid`), for back-channel logout. */
  providerSid?: string
  refreshToken?: string
  silent: boolean
}

/** The account fields the provider's claims give, as stored at login and at each renewal. */
export function profileFromClaims (claims: Record<string, unknown>, sub: string, role: Role): ProfileFromProvider {
  return {
    sub,
    username: claimString(claims, 'preferred_username', 'email', 'sub'),
    email: claimString(claims, 'email'),
    firstName: claimString(claims, 'given_name'),
    lastName: claimString(claims, 'family_name'),
    role
  }
}

function claimString (claims: Record<string, unknown>, ...names: string[]): string {
  for (const name of names) {
    const v = claims[name]
    if (typeof v === 'string' && v.trim() !== '') return v.trim().slice(0, 200)
  }
  return ''
}

/**
 * The callback's work after the provider sends the browser back: state, code exchange (with the PKCE
 * verifier), ID token verification, userinfo, role mapping, account upsert. Throws LoginFailure.
 */
export async function completeLogin (app: FastifyInstance, request: FastifyRequest, query: { code?: string, state?: string }): Promise<CompletedLogin> {
  const pending = app.oidc.takePendingLogin(request, query.state)
  if (pending === undefined || query.code === undefined) {
    const failure = new LoginFailure(400, 'This sign-in link has expired or was already used.')
    failure.unknownState = pending === undefined
    throw failure
  }
  let provider: ConnectedProvider
  try {
    provider = await app.oidc.provider.connected()
  } catch (err) {
    throw new LoginFailure(503, 'The identity provider is unavailable right now. Please try again in a minute.', (err as Error).message)
  }

  let tokens
  try {
    tokens = await provider.exchangeCode(query.code, pending.codeVerifier)
  } catch (err) {
    if (err instanceof TokenEndpointError && err.oauthError !== undefined) {
      throw new LoginFailure(400, 'The identity provider did not accept this sign-in. Please log in again.', err.message)
    }
    throw new LoginFailure(502, 'The identity provider could not be reached to complete the sign-in.', (err as Error).message)
  }

  let idClaims
  try {
    idClaims = await provider.verifyIdToken(tokens.idToken, { nonce: pending.nonce })
  } catch (err) {
    if (isKeyFetchFailure(err)) {
      throw new LoginFailure(502, 'The identity provider\'s signing keys could not be fetched. Please try again.', (err as Error).message)
    }
    throw new LoginFailure(400, 'The identity provider\'s answer could not be verified.', (err as Error).message)
  }

  let userinfo: Record<string, unknown>
  try {
    userinfo = await provider.fetchUserinfo(tokens.accessToken)
  } catch (err) {
    throw new LoginFailure(502, 'The identity provider could not be reached to read your profile.', (err as Error).message)
  }
  if (userinfo.sub !== idClaims.sub) {
    throw new LoginFailure(400, 'The identity provider\'s answer could not be verified.', 'userinfo sub differs from the ID token sub')
  }

  const existing = await app.users.userBySub(idClaims.sub)
  const role = mapRolesFromClaims([userinfo, idClaims], app.config.oidc.projectId)
  if (role === undefined) {
    // Roles removed at the provider: the account's open sessions end too, not only this login.
    if (existing !== undefined) await app.sessions.endUserSessions(existing.id)
    throw new LoginFailure(403, 'Your account has no role in this application, so you cannot sign in. Ask an administrator to grant you the admin, staff or user role in the identity provider.')
  }
  if (existing !== undefined && !existing.isActive) {
    throw new LoginFailure(403, 'Your account has been deactivated in this application. Ask an administrator to reactivate it.')
  }

  const user = await app.users.recordLogin(profileFromClaims({ ...idClaims, ...userinfo }, idClaims.sub, role))
  return {
    user,
    idToken: tokens.idToken,
    next: pending.next,
    providerSid: typeof idClaims.sid === 'string' && idClaims.sid !== '' ? idClaims.sid : undefined,
    refreshToken: tokens.refreshToken,
    silent: pending.silent === true
  }
}
