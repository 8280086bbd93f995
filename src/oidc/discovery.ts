/** The parts of the provider's metadata this app uses. */
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
  constructor (message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'ProviderUnavailableError'
  }
}

const REQUIRED = ['issuer', 'authorization_endpoint', 'token_endpoint', 'userinfo_endpoint', 'jwks_uri'] as const

/** Fetches OIDC_OP_BASE_URL/.well-known/openid-configuration once, with a timeout, and checks its shape. */
export async function discoverProvider (baseUrl: string, timeoutMs: number): Promise<ProviderMetadata> {
  const url = `${baseUrl.replace(/\/$/, '')}/.well-known/openid-configuration`
  let body: unknown
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } })
    if (!res.ok) throw new Error(`HTTP ${res.status}`)
    body = await res.json()
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err)
    throw new ProviderUnavailableError(`Could not load the OpenID provider's metadata from ${url}: ${reason}`, { cause: err })
  }
  const metadata = body as Record<string, unknown>
  for (const key of REQUIRED) {
    if (typeof metadata?.[key] !== 'string') {
      throw new ProviderUnavailableError(`The OpenID provider's metadata at ${url} has no "${key}"`)
    }
  }
  // OIDC Discovery 4.3: the issuer must be the URL we asked, or every ID token check would be against a stranger.
  if ((metadata.issuer as string).replace(/\/$/, '') !== baseUrl.replace(/\/$/, '')) {
    throw new ProviderUnavailableError(`The OpenID provider at ${baseUrl} names a different issuer (${String(metadata.issuer)}); check OIDC_OP_BASE_URL`)
  }
  return metadata as unknown as ProviderMetadata
}
