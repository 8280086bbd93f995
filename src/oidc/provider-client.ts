import type { AuthorizationCode } from 'simple-oauth2'
import { discoverProvider, ProviderUnavailableError, type ProviderMetadata } from './discovery.ts'
import { createTokenVerifiers } from './verify-id-token.ts'

export interface ProviderClientOptions {
  baseUrl: string
  clientId: string
  clientSecret: string
  scopes: string
  callbackUri: string
  httpTimeoutMs: number
  clockToleranceSeconds: number
  /** Injected discovery metadata skips the first fetch (tests, and the start-up warm-up). */
  metadata?: ProviderMetadata
  caching?: ProviderCaching
}

/** Bounds on what is cached from the provider (tests shorten them). */
export interface ProviderCaching {
  /** Least time between JWKS fetches on an unknown kid (default 30 s). */
  jwksCooldownMs?: number
  /** Discovery metadata older than this is fetched again in the background (default 24 h). */
  discoveryMaxAgeMs?: number
}

export interface TokenSet { idToken: string, accessToken: string, refreshToken?: string }
/** A refresh may come back without a new ID token (OIDC Core 12.2); userinfo then confirms the subject. */
export type RefreshedTokenSet = Omit<TokenSet, 'idToken'> & { idToken?: string }
type Verifiers = ReturnType<typeof createTokenVerifiers>

/** What the client can do once the provider's metadata is known. */
export interface ConnectedProvider {
  metadata: ProviderMetadata
  /** `prompt: 'none'` re-checks the sign-in silently (the provider answers login_required if it is gone). */
  authorizationUrl (params: { state: string, nonce: string, codeChallenge: string, prompt?: 'none' }): string
  exchangeCode (code: string, codeVerifier: string): Promise<TokenSet>
  /** The refresh_token grant: new tokens for a session, without the browser. */
  refresh (refreshToken: string): Promise<RefreshedTokenSet>
  verifyIdToken: Verifiers['verifyIdToken']
  verifyLogoutToken: Verifiers['verifyLogoutToken']
  fetchUserinfo (accessToken: string): Promise<Record<string, unknown>>
}

export class TokenEndpointError extends Error {
  constructor (readonly oauthError: string | undefined, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'TokenEndpointError'
  }
}

const MAX_BACKOFF_MS = 60_000

/**
 * The OpenID provider as this app sees it. Discovery happens once and is cached; while the provider is
 * unreachable, callers get ProviderUnavailableError at once and a new attempt is made only after a
 * growing delay (1 s, 2 s, 4 s … 60 s), so a provider outage never turns into a request storm.
 */
export function createProviderClient (options: ProviderClientOptions) {
  let connected: ConnectedProvider | undefined
  let pending: Promise<ConnectedProvider> | undefined
  let failures = 0
  let retryAt = 0
  let lastError: ProviderUnavailableError | undefined

  // simple-oauth2 (with joi and wreck) is a fifth of start-up time: load it with the first connection.
  async function connect (metadata: ProviderMetadata): Promise<ConnectedProvider> {
    const { AuthorizationCode: Client } = await import('simple-oauth2')
    const authorize = new URL(metadata.authorization_endpoint)
    const token = new URL(metadata.token_endpoint)
    const oauth: AuthorizationCode = new Client({
      client: { id: options.clientId, secret: options.clientSecret },
      auth: { authorizeHost: authorize.origin, authorizePath: authorize.pathname, tokenHost: token.origin, tokenPath: token.pathname },
      http: { timeout: options.httpTimeoutMs } as Record<string, unknown>
    })
    const verifiers = createTokenVerifiers({
      metadata,
      clientId: options.clientId,
      clockToleranceSeconds: options.clockToleranceSeconds,
      httpTimeoutMs: options.httpTimeoutMs,
      jwksCooldownMs: options.caching?.jwksCooldownMs
    })
    async function tokenRequest (request: () => Promise<{ token: Record<string, unknown> }>): Promise<RefreshedTokenSet> {
      let token: Record<string, unknown>
      try {
        ({ token } = await request())
      } catch (err) {
        const payload = (err as { data?: { payload?: { error?: unknown } } }).data?.payload
        const oauthError = typeof payload?.error === 'string' ? payload.error : undefined
        throw new TokenEndpointError(oauthError, `token endpoint: ${oauthError ?? (err as Error).message}`, { cause: err })
      }
      if (typeof token.access_token !== 'string') throw new TokenEndpointError(undefined, 'token endpoint answered without an access_token')
      const text = (v: unknown): string | undefined => typeof v === 'string' && v !== '' ? v : undefined
      return { idToken: text(token.id_token), accessToken: token.access_token, refreshToken: text(token.refresh_token) }
    }
    return {
      metadata,
      verifyIdToken: verifiers.verifyIdToken,
      verifyLogoutToken: verifiers.verifyLogoutToken,
      authorizationUrl ({ state, nonce, codeChallenge, prompt }) {
        const url = new URL(oauth.authorizeURL({ redirect_uri: options.callbackUri, scope: options.scopes, state }))
        if (prompt !== undefined) url.searchParams.set('prompt', prompt)
        url.searchParams.set('nonce', nonce)
        url.searchParams.set('code_challenge', codeChallenge)
        url.searchParams.set('code_challenge_method', 'S256')
        return url.href
      },
      async exchangeCode (code, codeVerifier) {
        const tokens = await tokenRequest(async () => oauth.getToken({ code, redirect_uri: options.callbackUri, code_verifier: codeVerifier } as Parameters<typeof oauth.getToken>[0]))
        if (tokens.idToken === undefined) throw new TokenEndpointError(undefined, 'token endpoint answered without an id_token')
        return { ...tokens, idToken: tokens.idToken }
      },
      async refresh (refreshToken) {
        return tokenRequest(async () => oauth.createToken({ refresh_token: refreshToken }).refresh())
      },
      async fetchUserinfo (accessToken) {
        let res: Response
        try {
          res = await fetch(metadata.userinfo_endpoint, {
            headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json' },
            signal: AbortSignal.timeout(options.httpTimeoutMs)
          })
        } catch (err) {
          throw new ProviderUnavailableError(`userinfo could not be fetched: ${(err as Error).message}`, { cause: err })
        }
        if (!res.ok) throw new ProviderUnavailableError(`userinfo answered HTTP ${res.status}`)
        const body = await res.json().catch(() => undefined) as unknown
        if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new ProviderUnavailableError('userinfo is not a JSON object')
        return body as Record<string, unknown>
      }
    }
  }

  const given = options.metadata
  const maxAgeMs = options.caching?.discoveryMaxAgeMs ?? 24 * 60 * 60 * 1000
  let connectedAt = 0

  function discoverAndConnect (useGiven: boolean): Promise<ConnectedProvider> {
    const source = useGiven && given !== undefined ? Promise.resolve(given) : discoverProvider(options.baseUrl, options.httpTimeoutMs)
    return source
      .then(async (metadata) => {
        connected = await connect(metadata)
        connectedAt = Date.now()
        failures = 0
        return connected
      })
      .catch((err: unknown) => {
        failures++
        retryAt = Date.now() + Math.min(MAX_BACKOFF_MS, 1000 * 2 ** (failures - 1))
        lastError = err instanceof ProviderUnavailableError ? err : new ProviderUnavailableError(String(err), { cause: err })
        throw lastError
      })
      .finally(() => { pending = undefined })
  }

  return {
    /** The connected provider, discovering it first if needed; ProviderUnavailableError while it is down. */
    async connected (): Promise<ConnectedProvider> {
      if (connected !== undefined) {
        // Stale metadata is refreshed in the background; callers go on with what is known meanwhile,
        // and a failed refresh keeps it (and backs off) rather than failing logins.
        if (Date.now() - connectedAt > maxAgeMs && pending === undefined && Date.now() >= retryAt) {
          pending = discoverAndConnect(false)
          pending.catch(() => {})
        }
        return connected
      }
      if (pending !== undefined) return pending
      if (Date.now() < retryAt && lastError !== undefined) throw lastError
      pending = discoverAndConnect(true)
      return pending
    },
    get isConnected (): boolean { return connected !== undefined }
  }
}

export type ProviderClient = ReturnType<typeof createProviderClient>
