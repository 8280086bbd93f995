import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { User } from '../db/schema.ts'
import { mapRolesFromClaims } from './roles.ts'

/** What the callback page should say when a login does not complete. Messages are shown to the person. */
export class LoginFailure extends Error {
  constructor (readonly statusCode: number, message: string, readonly detail?: string) {
    super(message)
    this.name = 'LoginFailure'
  }
}

export interface CompletedLogin { user: User, idToken: string, next: string }

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
export async function completeLogin (app: FastifyInstance, request: FastifyRequest, reply: import('fastify').FastifyReply): Promise<CompletedLogin> {
  const pending = app.oidc.takePendingLogin(request)
  if (pending === undefined) {
    throw new LoginFailure(400, 'This sign-in link has expired or was already used.')
  }

  let tokens: { id_token?: unknown, access_token?: unknown }
  try {
    ({ token: tokens } = await app.oidc.client.getAccessTokenFromAuthorizationCodeFlow(request, reply))
  } catch (err) {
    const payload = (err as { data?: { payload?: { error?: string } } }).data?.payload
    if (payload?.error !== undefined) {
      throw new LoginFailure(400, 'The identity provider did not accept this sign-in. Please log in again.', `token endpoint: ${payload.error}`)
    }
    throw new LoginFailure(502, 'The identity provider could not be reached to complete the sign-in.', (err as Error).message)
  }
  if (typeof tokens.id_token !== 'string' || typeof tokens.access_token !== 'string') {
    throw new LoginFailure(502, 'The identity provider answered without the tokens a sign-in needs.')
  }

  let idClaims
  try {
    idClaims = await app.oidc.verifyIdToken(tokens.id_token, pending.nonce)
  } catch (err) {
    throw new LoginFailure(400, 'The identity provider\'s answer could not be verified.', (err as Error).message)
  }

  let userinfo: Record<string, unknown>
  try {
    userinfo = await app.oidc.fetchUserinfo(tokens.access_token)
  } catch (err) {
    throw new LoginFailure(502, 'The identity provider could not be reached to read your profile.', (err as Error).message)
  }
  if (userinfo.sub !== idClaims.sub) {
    throw new LoginFailure(400, 'The identity provider\'s answer could not be verified.', 'userinfo sub differs from the ID token sub')
  }

  const role = mapRolesFromClaims([userinfo, idClaims], app.config.oidc.projectId)
  if (role === undefined) {
    throw new LoginFailure(403, 'Your account has no role in this application, so you cannot sign in. Ask an administrator to grant you the admin, staff or user role in the identity provider.')
  }

  const claims = { ...idClaims, ...userinfo }
  const existing = app.users.userBySub(idClaims.sub)
  if (existing !== undefined && !existing.isActive) {
    throw new LoginFailure(403, 'Your account has been deactivated in this application. Ask an administrator to reactivate it.')
  }
  const user = app.users.recordLogin({
    sub: idClaims.sub,
    username: claimString(claims, 'preferred_username', 'email', 'sub'),
    email: claimString(claims, 'email'),
    firstName: claimString(claims, 'given_name'),
    lastName: claimString(claims, 'family_name'),
    role
  })
  return { user, idToken: tokens.id_token, next: pending.next }
}
