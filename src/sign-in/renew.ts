import * as client from 'openid-client'
import type { FastifyBaseLogger } from 'fastify'
import type { User } from '../db/schema.ts'
import type { SessionStore, SessionUser, UserStore } from '../db/store.ts'
import { mapRolesFromClaims, profileFromClaims } from './claims.ts'
import { failureKind, type ProviderClient } from './provider.ts'
import type { TokenBox } from './token-box.ts'

/**
 * - renewed: the provider confirmed the sign-in; roles and profile re-read.
 * - ended: the provider no longer stands behind it (refresh refused, roles gone, another subject).
 * - kept: the provider could not be asked (down, slow); the session goes on within the grace and
 *   its absolute lifetime, and the renewal is tried again later, so an outage never signs everyone out.
 * - redirect: no usable refresh token; the browser re-checks with prompt=none instead.
 */
type RenewalResult =
  | { outcome: 'renewed', user: User }
  | { outcome: 'ended' | 'kept' | 'redirect' }

export interface RenewDeps {
  provider: ProviderClient
  users: UserStore
  sessions: SessionStore
  tokenBox: TokenBox
  settings: { projectId: string, renewAfterMs: number }
}

// A renewal that could not reach the provider is tried again after this long.
const RENEW_RETRY_MS = 60_000
/**
 * While the provider cannot be reached, a sign-in past its re-check may still change things for this
 * long, so an outage does not lock everyone out at once; after it only reads are served until the
 * provider confirms the sign-in again. Without a refresh token there is no grace: the re-check is a
 * redirect, which every state change goes through first.
 */
export const OUTAGE_GRACE_MS = 5 * 60_000

/** What a request on a live session may be served as: `recheckFirst` sends it through the re-check. */
export type RenewalCheck = { outcome: 'ended' } | { outcome: 'signed-in', user: User, recheckFirst: boolean }

/**
 * Step 3, renew, as every signed-in request sees it: nothing to do until the sign-in is due (no promise
 * then, for nearly every request); then one request renews with the refresh token (the claim is one
 * UPDATE, so across processes too) while the others go on within the grace; without a usable refresh
 * token the request goes through the prompt=none re-check first. `strict`: the request changes state
 * (or is the re-check), so the outage grace is all it gets.
 */
export function checkRenewal (deps: RenewDeps, log: FastifyBaseLogger, sessionId: string, session: SessionUser, strict: boolean, now = Date.now()): RenewalCheck | Promise<RenewalCheck> {
  const pastGrace = strict && now > session.checkedAt.getTime() + deps.settings.renewAfterMs + OUTAGE_GRACE_MS
  const asIs = (recheckFirst: boolean): RenewalCheck => ({ outcome: 'signed-in', user: session.user, recheckFirst })
  if (session.renewAt.getTime() > now) return asIs(pastGrace)
  if (!session.hasRefreshToken) return asIs(true)
  const renew = (claimed: boolean): RenewalCheck | Promise<RenewalCheck> => !claimed
    ? asIs(pastGrace)
    : renewWithRefreshToken(deps, log, sessionId, session).then((result): RenewalCheck => {
      if (result.outcome === 'ended') return { outcome: 'ended' }
      if (result.outcome === 'renewed') return { outcome: 'signed-in', user: result.user, recheckFirst: false }
      return asIs(result.outcome === 'redirect' || pastGrace)
    })
  // The store's answer is a promise on PostgreSQL only.
  const claim = deps.sessions.claimRenewal(sessionId, RENEW_RETRY_MS, now)
  return claim instanceof Promise ? claim.then(renew) : renew(claim)
}

/**
 * The renewal itself, server to server (the request that claimed it waits for it; the others go on
 * meanwhile): openid-client's refresh_token grant, then userinfo, which must name the same subject; a
 * new ID token, when one comes, must too (OIDC Core 12.2). The roles are read again. Without a usable
 * refresh token the re-check is a prompt=none login instead (step 1 with `silent`).
 */
async function renewWithRefreshToken (deps: RenewDeps, log: FastifyBaseLogger, sessionId: string, session: SessionUser): Promise<RenewalResult> {
  const stored = await deps.sessions.sessionTokens(sessionId)
  if (stored === undefined) return { outcome: 'ended' }
  const refreshToken = stored.refreshToken === null ? undefined : deps.tokenBox.open(stored.refreshToken)
  if (refreshToken === undefined) {
    // Sealed under a key that is gone (SESSION_SECRET rotated away): without the token, the claim's
    // retry time would let the next requests through on the grace; dropped, they all re-check first.
    await deps.sessions.dropRefreshToken(sessionId)
    return { outcome: 'redirect' }
  }
  const { sub, id: userId } = session.user
  // The provider's part first: its failures decide the outcome. The database's part after it, outside,
  // so that a database fault is the request's 503 and never taken for the provider's answer.
  let answer: { tokens: client.TokenEndpointResponse, idClaims: Record<string, unknown>, userinfo: client.UserInfoResponse }
  try {
    const provider = await deps.provider.connected()
    const tokens = await client.refreshTokenGrant(provider.config, refreshToken)
    const idClaims = tokens.id_token === undefined ? {} : await provider.tokens.verifyIdToken(tokens.id_token, { sameSubjectAs: sub })
    const userinfo = await client.fetchUserInfo(provider.config, tokens.access_token, sub)
    answer = { tokens, idClaims, userinfo }
  } catch (err) {
    const kind = failureKind(err)
    const reason = (err as Error).message
    if (kind === 'unreachable') {
      log.warn({ userId, reason }, 'session renewal: provider unreachable; kept for now')
      return { outcome: 'kept' }
    }
    log.info({ userId, reason }, kind === 'refused' ? 'session renewal refused by the provider; session ended' : 'session renewal: the answer failed a check; session ended')
    return { outcome: 'ended' }
  }
  const { tokens, idClaims, userinfo } = answer
  const role = mapRolesFromClaims([userinfo, idClaims], deps.settings.projectId)
  if (role === undefined) {
    await deps.sessions.endUserSessions(userId)
    log.info({ userId }, 'session renewal: no role left at the provider; sessions ended')
    return { outcome: 'ended' }
  }
  const user = await deps.users.refreshProfile(profileFromClaims({ ...idClaims, ...userinfo }, sub, role))
  if (user === undefined || !user.isActive) return { outcome: 'ended' }
  await deps.sessions.recordRenewal(sessionId, {
    idToken: tokens.id_token ?? stored.idToken,
    // Providers that rotate refresh tokens send a new one; the others keep the old one valid.
    refreshToken: deps.tokenBox.seal(tokens.refresh_token ?? refreshToken),
    renewAfterMs: deps.settings.renewAfterMs
  })
  log.info({ userId, role }, 'session renewed')
  return { outcome: 'renewed', user }
}
