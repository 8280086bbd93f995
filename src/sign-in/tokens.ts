import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose'
import type { ProviderMetadata } from './provider.ts'

export class IdTokenError extends Error {
  override name = 'IdTokenError'
}

export interface IdTokenVerifierOptions {
  metadata: ProviderMetadata
  clientId: string
  clockToleranceSeconds: number
  httpTimeoutMs: number
  /** Least time between two JWKS fetches (an unknown kid refetches at most this often). */
  jwksCooldownMs?: number
}

// Asymmetric algorithms only: `none` and HS* (keyed with the client secret) are never accepted.
const ALLOWED_ALGS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA']
const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout'
// Media types compare case-insensitively, with or without the application/ prefix (RFC 7515 4.1.9).
const LOGOUT_TOKEN_TYPES = new Set(['logout+jwt', 'application/logout+jwt'])

/** What a verified logout token says. */
export interface LogoutClaims {
  sid?: string
  sub?: string
  jti: string
  issuedAt: Date
  expiresAt: Date
}

/**
 * True when a token could not be checked because the provider's keys could not be fetched (timeout,
 * network, a broken JWKS answer), as opposed to a token that is bad: the first is the provider's outage
 * (502/503, try again), the second a refusal (400).
 */
export function isKeyFetchFailure (err: unknown): boolean {
  const cause = err instanceof IdTokenError ? err.cause : err
  if (!(cause instanceof Error)) return false
  const code = (cause as { code?: unknown }).code
  return code === 'ERR_JWKS_TIMEOUT' || cause.name === 'TypeError' ||
    (code === 'ERR_JOSE_GENERIC' && /JSON Web Key Set HTTP response/.test(cause.message))
}

/** What the ID token must say about the login it completes. */
export type TokenVerifiers = ReturnType<typeof createTokenVerifiers>

export type NonceCheck = { nonce: string } | { sameSubjectAs: string }

/**
 * Verifiers for the provider's ID tokens and logout tokens, sharing one JWKS that jose fetches lazily,
 * caches (10 min) and refetches on an unknown kid at most once per cooldown (30 s): key rotation is
 * picked up without letting a stream of made-up kids turn into a stream of fetches.
 *
 * Hand-written on jose although openid-client checks the ID token's claims: openid-client trusts the
 * token endpoint's TLS for the signature (OIDC Core 3.1.3.7), and its optional signature check keeps
 * its own JWKS cache (a fixed 60 s refetch, no key tried for a kid-less token among several, no check
 * of an iat in the future). Logout tokens are not part of openid-client at all.
 */
export function createTokenVerifiers ({ metadata, clientId, clockToleranceSeconds, httpTimeoutMs, jwksCooldownMs }: IdTokenVerifierOptions) {
  const jwks = createRemoteJWKSet(new URL(metadata.jwks_uri), { timeoutDuration: httpTimeoutMs, cooldownDuration: jwksCooldownMs ?? 30_000 })

  async function verifySigned (token: string, what: string, options: { requiredClaims: string[] }): Promise<{ payload: JWTPayload, typ?: string }> {
    let payload: JWTPayload
    let typ: string | undefined
    try {
      const verified = await jwtVerify(token, jwks, {
        issuer: metadata.issuer,
        audience: clientId,
        algorithms: ALLOWED_ALGS,
        clockTolerance: clockToleranceSeconds,
        requiredClaims: options.requiredClaims
      })
      payload = verified.payload
      typ = verified.protectedHeader.typ
    } catch (err) {
      throw new IdTokenError(`${what} rejected: ${err instanceof Error ? err.message : String(err)}`, { cause: err })
    }
    if ((payload.iat ?? 0) > Date.now() / 1000 + clockToleranceSeconds) throw new IdTokenError(`${what} rejected: issued in the future`)
    // OIDC Core 3.1.3.7: with several audiences, azp must be present and be us; when present it must be us.
    const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud]
    if ((audiences.length > 1 || payload.azp !== undefined) && payload.azp !== clientId) {
      throw new IdTokenError(`${what} rejected: azp is not this client`)
    }
    return { payload, typ }
  }

  return {
    /** At login the nonce must match; after a refresh (OIDC Core 12.2) the subject must be the same. */
    async verifyIdToken (idToken: string, check: NonceCheck): Promise<JWTPayload & { sub: string }> {
      const { payload } = await verifySigned(idToken, 'ID token', { requiredClaims: ['sub', 'iat', 'exp'] })
      if ('nonce' in check && (typeof payload.nonce !== 'string' || payload.nonce !== check.nonce)) {
        throw new IdTokenError('ID token rejected: nonce mismatch')
      }
      if ('sameSubjectAs' in check && payload.sub !== check.sameSubjectAs) {
        throw new IdTokenError('ID token rejected: refreshed token names another subject')
      }
      return payload as JWTPayload & { sub: string }
    },

    /**
     * OpenID Connect Back-Channel Logout 1.0, section 2.6: signed, iss, aud, iat, exp (required and
     * honoured), jti, the logout event, no nonce, sid or sub, and typ logout+jwt when a typ is given.
     * Whether the jti was seen before is the caller's check (it needs the shared store).
     */
    async verifyLogoutToken (logoutToken: string): Promise<LogoutClaims> {
      const { payload, typ } = await verifySigned(logoutToken, 'logout token', { requiredClaims: ['iat', 'exp', 'jti', 'events'] })
      if (typ !== undefined && !LOGOUT_TOKEN_TYPES.has(typ.toLowerCase())) throw new IdTokenError(`logout token rejected: typ is ${typ}, not logout+jwt`)
      const events = payload.events
      if (typeof events !== 'object' || events === null || typeof (events as Record<string, unknown>)[BACKCHANNEL_LOGOUT_EVENT] !== 'object') {
        throw new IdTokenError('logout token rejected: no back-channel logout event')
      }
      // A nonce marks an ID token: one must never be accepted as a logout token.
      if (payload.nonce !== undefined) throw new IdTokenError('logout token rejected: it carries a nonce')
      const sid = typeof payload.sid === 'string' && payload.sid !== '' ? payload.sid : undefined
      const sub = typeof payload.sub === 'string' && payload.sub !== '' ? payload.sub : undefined
      if (sid === undefined && sub === undefined) throw new IdTokenError('logout token rejected: neither sid nor sub')
      if (typeof payload.jti !== 'string' || payload.jti === '') throw new IdTokenError('logout token rejected: jti is not a string')
      return { sid, sub, jti: payload.jti, issuedAt: new Date((payload.iat as number) * 1000), expiresAt: new Date((payload.exp as number) * 1000) }
    }
  }
}
