import fp from 'fastify-plugin'
import { createHash, randomBytes } from 'node:crypto'
import type { FastifyRequest } from 'fastify'
import { createProviderClient, type ProviderCaching, type ProviderClient } from '../../oidc/provider-client.ts'
import type { ProviderMetadata } from '../../oidc/discovery.ts'
import { safeNextPath } from '../../oidc/safe-next.ts'
import type { PendingLogin } from '../../types.ts'
import { createTokenBox, type TokenBox } from '../../oidc/token-box.ts'

// Parallel tabs may each start a login; keep a few pending ones, drop the oldest and stale ones. They
// live in the session cookie, which browsers drop past 4096 bytes: the pending logins get a byte budget
// (sealing and encoding add about half, the rest of the session and the cookie's attributes fit beside).
const MAX_PENDING = 5
const PENDING_BUDGET_BYTES = 1600
const PENDING_TTL_MS = 10 * 60 * 1000

declare module 'fastify' {
  interface FastifyInstance {
    oidc: {
      provider: ProviderClient
      clientId: string
      /** Seals refresh tokens for storage in the sessions table. */
      tokenBox: TokenBox
      /**
       * The authorization URL for a new login to `next` (state, nonce and PKCE kept in the session);
       * `silent` re-checks an existing sign-in with prompt=none.
       */
      startLogin: (request: FastifyRequest, next: unknown, options?: { silent?: boolean, resubmit?: boolean }) => Promise<string>
      /** True when this browser's session holds a live pending login for `state`. */
      hasPendingLogin: (request: FastifyRequest, state: unknown) => boolean
      /** Single use: the pending login matching `state` leaves the session. */
      takePendingLogin: (request: FastifyRequest, state: string | undefined) => PendingLogin | undefined
    }
  }
}

function livePending (request: FastifyRequest, now = Date.now()): PendingLogin[] {
  return (request.session.get('pending') ?? []).filter((p) => now - p.createdAt < PENDING_TTL_MS)
}

export interface OidcOptions {
  metadata?: ProviderMetadata
  caching?: ProviderCaching
}

/**
 * Authorization code flow with state, nonce and PKCE S256. Each pending login keeps all three in the
 * encrypted session, so logins started in several tabs each complete (a single verifier cookie, as
 * @fastify/oauth2 keeps, would let the last tab overwrite the others).
 */
export default fp(async function oidcPlugin (app, opts: OidcOptions) {
  const { baseUrl, clientId, clientSecret } = app.config.oidc
  if (baseUrl === undefined || clientId === undefined || clientSecret === undefined) throw new Error('the OIDC client is not configured')
  const provider = createProviderClient({
    baseUrl,
    clientId,
    clientSecret,
    scopes: app.config.oidc.scopes,
    callbackUri: `${app.config.appUrl}/oidc/callback/`,
    httpTimeoutMs: app.config.oidc.httpTimeoutMs,
    clockToleranceSeconds: app.config.oidc.clockToleranceSeconds,
    metadata: opts.metadata,
    caching: opts.caching
  })

  app.decorate('oidc', {
    provider,
    clientId,
    tokenBox: createTokenBox(app.config.sessionKeys),
    async startLogin (request, next, { silent = false, resubmit = false } = {}) {
      const connected = await provider.connected()
      const pending: PendingLogin = {
        state: randomBytes(16).toString('base64url'),
        nonce: randomBytes(16).toString('base64url'),
        codeVerifier: randomBytes(32).toString('base64url'),
        next: safeNextPath(next),
        createdAt: Date.now(),
        ...(silent ? { silent } : {}),
        ...(resubmit ? { resubmit } : {})
      }
      const kept = [...livePending(request), pending].slice(-MAX_PENDING)
      while (kept.length > 1 && Buffer.byteLength(JSON.stringify(kept)) > PENDING_BUDGET_BYTES) kept.shift()
      request.session.set('pending', kept)
      return connected.authorizationUrl({
        state: pending.state,
        nonce: pending.nonce,
        codeChallenge: createHash('sha256').update(pending.codeVerifier).digest('base64url'),
        prompt: silent ? 'none' : undefined
      })
    },
    hasPendingLogin (request, state) {
      return typeof state === 'string' && livePending(request).some((p) => p.state === state)
    },
    takePendingLogin (request, state) {
      const all = livePending(request)
      const match = state === undefined ? undefined : all.find((p) => p.state === state)
      if (match !== undefined) request.session.set('pending', all.filter((p) => p !== match))
      return match
    }
  })
}, { name: 'oidc' })
