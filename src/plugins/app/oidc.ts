import fp from 'fastify-plugin'
import oauth2, { type OAuth2Namespace } from '@fastify/oauth2'
import { randomBytes } from 'node:crypto'
import type { FastifyRequest } from 'fastify'
import type { ProviderMetadata } from '../../oidc/discovery.ts'
import { createIdTokenVerifier } from '../../oidc/verify-id-token.ts'
import { safeNextPath } from '../../oidc/safe-next.ts'
import type { PendingLogin } from '../../types.ts'

export interface OidcOptions { metadata: ProviderMetadata, clientId: string, clientSecret: string }

// Parallel tabs may each start a login; keep a few pending ones, drop the oldest and stale ones.
const MAX_PENDING = 5
const PENDING_TTL_MS = 10 * 60 * 1000

declare module 'fastify' {
  interface FastifyInstance {
    oidcClient: OAuth2Namespace
    oidc: {
      metadata: ProviderMetadata
      clientId: string
      client: OAuth2Namespace
      verifyIdToken: ReturnType<typeof createIdTokenVerifier>
      startLogin: (request: FastifyRequest, reply: import('fastify').FastifyReply) => Promise<string>
      takePendingLogin: (request: FastifyRequest) => PendingLogin | undefined
      fetchUserinfo: (accessToken: string) => Promise<Record<string, unknown>>
    }
  }
}

function livePending (request: FastifyRequest, now = Date.now()): PendingLogin[] {
  return (request.session.get('pending') ?? []).filter((p) => now - p.createdAt < PENDING_TTL_MS)
}

/**
 * Authorization code flow through @fastify/oauth2 (state + PKCE S256 cookies), plus the OIDC parts it
 * lacks: a nonce per login kept with the state in the encrypted session, ID token verification, userinfo.
 */
export default fp(async function oidcPlugin (app, opts: OidcOptions) {
  const { metadata, clientId, clientSecret } = opts
  const timeout = app.config.oidc.httpTimeoutMs
  const authorize = new URL(metadata.authorization_endpoint)
  const token = new URL(metadata.token_endpoint)
  const created = new WeakMap<FastifyRequest, PendingLogin>()
  const taken = new WeakMap<FastifyRequest, PendingLogin>()

  await app.register(oauth2, {
    name: 'oidcClient',
    scope: app.config.oidc.scopes.split(/\s+/),
    credentials: {
      client: { id: clientId, secret: clientSecret },
      auth: {
        authorizeHost: authorize.origin,
        authorizePath: authorize.pathname,
        tokenHost: token.origin,
        tokenPath: token.pathname
      },
      http: { timeout }
    },
    callbackUri: `${app.config.appUrl}/oidc/callback/`,
    pkce: 'S256',
    userAgent: false,
    cookie: { path: '/oidc/', secure: app.config.secureCookies, sameSite: 'lax', httpOnly: true },
    generateStateFunction (request: FastifyRequest) {
      const query = request.query as { next?: string }
      const pending: PendingLogin = {
        state: randomBytes(16).toString('base64url'),
        nonce: randomBytes(16).toString('base64url'),
        next: safeNextPath(query.next),
        createdAt: Date.now()
      }
      request.session.set('pending', [...livePending(request), pending].slice(-MAX_PENDING))
      created.set(request, pending)
      return pending.state
    },
    // The callback takes the pending login out of the session first (single use); the state is
    // checked against what it took.
    checkStateFunction (request: FastifyRequest) {
      const state = (request.query as { state?: string }).state
      return state !== undefined && taken.get(request)?.state === state
    }
  })

  app.decorate('oidc', {
    metadata,
    clientId,
    client: app.oidcClient,
    verifyIdToken: createIdTokenVerifier({
      metadata,
      clientId,
      clockToleranceSeconds: app.config.oidc.clockToleranceSeconds,
      httpTimeoutMs: timeout
    }),

    async startLogin (request, reply) {
      const url = new URL(await app.oidcClient.generateAuthorizationUri(request, reply))
      const pending = created.get(request)
      if (pending === undefined) throw new Error('login state was not created')
      url.searchParams.set('nonce', pending.nonce)
      return url.href
    },

    /** Single use: the matching entry leaves the session whether or not the login then succeeds. */
    takePendingLogin (request) {
      const state = (request.query as { state?: string }).state
      const all = livePending(request)
      const match = all.find((p) => p.state === state)
      if (match === undefined) return undefined
      request.session.set('pending', all.filter((p) => p !== match))
      taken.set(request, match)
      return match
    },

    async fetchUserinfo (accessToken) {
      const res = await fetch(metadata.userinfo_endpoint, {
        headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json' },
        signal: AbortSignal.timeout(timeout)
      })
      if (!res.ok) throw new Error(`userinfo answered HTTP ${res.status}`)
      const body = await res.json() as unknown
      if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new Error('userinfo is not a JSON object')
      return body as Record<string, unknown>
    }
  })
}, { name: 'oidc', dependencies: ['session'] })
