import * as client from 'openid-client'
import { createTokenVerifiers, isKeyFetchFailure, type TokenVerifiers } from './tokens.ts'

/** The parts of the provider's metadata this app relies on. */
export interface ProviderMetadata {
  issuer: string
  authorization_endpoint: string
  token_endpoint: string
  userinfo_endpoint: string
  jwks_uri: string
  end_session_endpoint?: string
  id_token_signing_alg_values_supported?: string[]
}

export class ProviderUnavailableError extends Error {
  override name = 'ProviderUnavailableError'
}

export interface ProviderSettings {
  baseUrl: string
  clientId: string
  clientSecret: string
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

/** The provider once its metadata is known: openid-client's configuration, and jose's verifiers on its JWKS. */
export interface ConnectedProvider {
  config: client.Configuration
  metadata: ProviderMetadata
  tokens: TokenVerifiers
}

const REQUIRED = ['issuer', 'authorization_endpoint', 'token_endpoint', 'userinfo_endpoint', 'jwks_uri'] as const
const MAX_BACKOFF_MS = 60_000

function clientOptions (settings: Pick<ProviderSettings, 'baseUrl' | 'clientSecret' | 'clockToleranceSeconds'>) {
  return {
    metadata: { [client.clockTolerance]: settings.clockToleranceSeconds },
    auth: client.ClientSecretBasic(settings.clientSecret),
    // Plain http only for a provider on http (the development provider, tests' providers on loopback).
    execute: new URL(settings.baseUrl).protocol === 'http:' ? [client.allowInsecureRequests] : []
  }
}

/**
 * OIDC Discovery through openid-client (which also checks that the issuer is the URL asked, Discovery
 * 4.3), with a timeout; every failure is a ProviderUnavailableError naming the URL.
 */
export async function discoverProvider (settings: Omit<ProviderSettings, 'metadata' | 'caching'>): Promise<client.Configuration> {
  const url = `${settings.baseUrl.replace(/\/$/, '')}/.well-known/openid-configuration`
  const { metadata, auth, execute } = clientOptions(settings)
  let config: client.Configuration
  try {
    config = await client.discovery(new URL(settings.baseUrl), settings.clientId, metadata, auth, { execute, timeout: settings.httpTimeoutMs / 1000 })
  } catch (err) {
    throw new ProviderUnavailableError(`Could not load the OpenID provider's metadata from ${url}: ${(err as Error).message}`, { cause: err })
  }
  for (const key of REQUIRED) {
    if (typeof config.serverMetadata()[key] !== 'string') throw new ProviderUnavailableError(`The OpenID provider's metadata at ${url} has no "${key}"`)
  }
  return config
}

/**
 * The OpenID provider as this app sees it: discovered at first use and cached. While it is unreachable,
 * callers get ProviderUnavailableError at once and a new attempt is made only after a growing delay
 * (1 s, 2 s, 4 s … 60 s), so an outage never turns into a request storm. openid-client has no cache or
 * backoff of its own for discovery: this is the hand-written part.
 */
export function createProviderClient (settings: ProviderSettings) {
  let connected: ConnectedProvider | undefined
  let pending: Promise<ConnectedProvider> | undefined
  let failures = 0
  let retryAt = 0
  let lastError: ProviderUnavailableError | undefined
  let connectedAt = 0
  const maxAgeMs = settings.caching?.discoveryMaxAgeMs ?? 24 * 60 * 60 * 1000

  async function configure (useGiven: boolean): Promise<client.Configuration> {
    if (!useGiven || settings.metadata === undefined) return discoverProvider(settings)
    const { metadata, auth, execute } = clientOptions(settings)
    const config = new client.Configuration(settings.metadata as client.ServerMetadata, settings.clientId, metadata, auth)
    for (const method of execute) method(config)
    return config
  }

  function discoverAndConnect (useGiven: boolean): Promise<ConnectedProvider> {
    return configure(useGiven)
      .then((config) => {
        config.timeout = settings.httpTimeoutMs / 1000
        const metadata = config.serverMetadata() as unknown as ProviderMetadata
        connected = {
          config,
          metadata,
          tokens: createTokenVerifiers({
            metadata,
            clientId: settings.clientId,
            clockToleranceSeconds: settings.clockToleranceSeconds,
            httpTimeoutMs: settings.httpTimeoutMs,
            jwksCooldownMs: settings.caching?.jwksCooldownMs
          })
        }
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
    /** The connected provider if discovery has happened, without waiting for it. */
    get current (): ConnectedProvider | undefined { return connected }
  }
}

export type ProviderClient = ReturnType<typeof createProviderClient>

/**
 * What a failed call to the provider means:
 * - refused: the provider answered with an OAuth error (invalid_grant: a used code, a revoked refresh token);
 * - unreachable: no usable answer (network, timeout, a 5xx, its keys could not be fetched): try again later;
 * - invalid: an answer that failed a check (ID token, userinfo subject): never accepted.
 */
export function failureKind (err: unknown): 'refused' | 'unreachable' | 'invalid' {
  if (err instanceof client.ResponseBodyError) return 'refused'
  if (err instanceof ProviderUnavailableError || isKeyFetchFailure(err)) return 'unreachable'
  if (err instanceof TypeError || (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError'))) return 'unreachable'
  const code = (err as { code?: unknown }).code
  if (code === 'OAUTH_RESPONSE_IS_NOT_CONFORM' || code === 'OAUTH_RESPONSE_IS_NOT_JSON') return 'unreachable'
  return 'invalid'
}
