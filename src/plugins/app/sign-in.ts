import fp from 'fastify-plugin'
import { createProviderClient, type ProviderCaching, type ProviderClient } from '../../sign-in/provider.ts'
import { createTokenBox, type TokenBox } from '../../sign-in/token-box.ts'
import type { SessionStore, UserStore } from '../../db/store.ts'

/** Everything the sign-in steps (src/sign-in/) may need; each step's parameter type picks its part. */
export interface SignIn {
  provider: ProviderClient
  /** Seals refresh tokens for storage in the sessions table. */
  tokenBox: TokenBox
  users: UserStore
  sessions: SessionStore
  settings: {
    appUrl: string
    clientId: string
    scopes: string
    callbackUri: string
    projectId: string
    sessionLifetimeMs: number
    renewAfterMs: number
    clockToleranceSeconds: number
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    signIn: SignIn
  }
}

export interface SignInOptions {
  caching?: ProviderCaching
}

/** The provider client (discovered lazily) and the stores and settings the sign-in steps work with. */
export default fp(async function signInPlugin (app, opts: SignInOptions) {
  const { baseUrl, clientId, clientSecret } = app.config.oidc
  if (baseUrl === undefined || clientId === undefined || clientSecret === undefined) throw new Error('the OIDC client is not configured')
  const { httpTimeoutMs, clockToleranceSeconds } = app.config.oidc
  app.decorate('signIn', {
    provider: createProviderClient({ baseUrl, clientId, clientSecret, httpTimeoutMs, clockToleranceSeconds, caching: opts.caching }),
    tokenBox: createTokenBox(app.config.sessionKeys),
    users: app.users,
    sessions: app.sessions,
    settings: {
      appUrl: app.config.appUrl,
      clientId,
      scopes: app.config.oidc.scopes,
      callbackUri: `${app.config.appUrl}/oidc/callback/`,
      projectId: app.config.oidc.projectId,
      sessionLifetimeMs: app.config.sessionLifetimeMs,
      renewAfterMs: app.config.oidc.renewAfterMs,
      clockToleranceSeconds
    }
  })
}, { name: 'sign-in', dependencies: ['db'] })
