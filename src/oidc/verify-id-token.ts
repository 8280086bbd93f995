import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose'
import type { ProviderMetadata } from './discovery.ts'

export class IdTokenError extends Error {
  constructor (message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'IdTokenError'
  }
}

export interface IdTokenVerifierOptions {
  metadata: ProviderMetadata
  clientId: string
  clockToleranceSeconds: number
  httpTimeoutMs: number
}

// Asymmetric algorithms only: `none` and HS* (keyed with the client secret) are never accepted.
const ALLOWED_ALGS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA']

/** Builds a verifier whose JWKS is fetched lazily and cached by jose (refetched once on an unknown kid). */
export function createIdTokenVerifier ({ metadata, clientId, clockToleranceSeconds, httpTimeoutMs }: IdTokenVerifierOptions) {
  const jwks = createRemoteJWKSet(new URL(metadata.jwks_uri), { timeoutDuration: httpTimeoutMs })

  return async function verifyIdToken (idToken: string, expectedNonce: string): Promise<JWTPayload & { sub: string }> {
    let payload: JWTPayload
    try {
      ({ payload } = await jwtVerify(idToken, jwks, {
        issuer: metadata.issuer,
        audience: clientId,
        algorithms: ALLOWED_ALGS,
        clockTolerance: clockToleranceSeconds,
        requiredClaims: ['sub', 'iat', 'exp']
      }))
    } catch (err) {
      throw new IdTokenError(`ID token rejected: ${err instanceof Error ? err.message : String(err)}`, { cause: err })
    }
    const iat = payload.iat ?? 0
    if (iat > Date.now() / 1000 + clockToleranceSeconds) throw new IdTokenError('ID token rejected: issued in the future')
    // OIDC Core 3.1.3.7: with several audiences, azp must be present and be us; when present it must be us.
    const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud]
    if ((audiences.length > 1 || payload.azp !== undefined) && payload.azp !== clientId) {
      throw new IdTokenError('ID token rejected: azp is not this client')
    }
    if (typeof payload.nonce !== 'string' || payload.nonce !== expectedNonce) {
      throw new IdTokenError('ID token rejected: nonce mismatch')
    }
    return payload as JWTPayload & { sub: string }
  }
}
