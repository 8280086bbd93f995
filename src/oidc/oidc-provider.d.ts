// Minimal typings for oidc-provider 9, which ships no types (and @types/oidc-provider targets
// older majors). Only what src/oidc/dev-provider.ts uses is declared.
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http'

  export type UnknownObject = Record<string, unknown>

  export interface Account {
    accountId: string
    claims(use: string, scope: string, claims: UnknownObject, rejected: string[]): Promise<UnknownObject> | UnknownObject
  }

  export interface Client {
    clientId: string
    clientName?: string
    redirectUris: string[]
    grantTypeAllowed(type: string): boolean
  }

  export interface Session {
    accountId?: string
    uid: string
    grantIdFor(clientId: string): string | undefined
  }

  export interface InteractionResults {
    login?: { accountId: string; acr?: string; amr?: string[]; remember?: boolean; ts?: number }
    consent?: { grantId?: string }
    error?: string
    error_description?: string
    [key: string]: unknown
  }

  export interface Interaction {
    uid: string
    returnTo: string
    prompt: { name: string; reasons: string[]; details: UnknownObject }
    params: UnknownObject
    session?: { accountId?: string; uid: string }
    grantId?: string
    lastSubmission?: InteractionResults
  }

  export interface OIDCContext {
    provider: Provider
    client?: Client
    session: Session
    account?: Account
    result?: InteractionResults
    requestParamOIDCScopes: Set<string>
    requestParamClaims: Set<string>
  }

  export interface KoaContextWithOIDC {
    oidc: OIDCContext
    host: string
    type: string
    body: unknown
    set(field: string, value: string): void
  }

  export interface AdapterPayload {
    [key: string]: unknown
    uid?: string
    userCode?: string
    grantId?: string
    consumed?: number
  }

  export interface Adapter {
    upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void>
    find(id: string): Promise<AdapterPayload | undefined>
    findByUid(uid: string): Promise<AdapterPayload | undefined>
    findByUserCode(userCode: string): Promise<AdapterPayload | undefined>
    consume(id: string): Promise<void>
    destroy(id: string): Promise<void>
    revokeByGrantId(grantId: string): Promise<void>
  }

  export interface ClientMetadata {
    client_id: string
    client_secret?: string
    redirect_uris?: string[]
    post_logout_redirect_uris?: string[]
    grant_types?: string[]
    response_types?: string[]
    token_endpoint_auth_method?: string
    id_token_signed_response_alg?: string
    [key: string]: unknown
  }

  export interface Configuration {
    adapter?: (model: string) => Adapter
    claims?: Record<string, string[] | null>
    clients?: ClientMetadata[]
    clientBasedCORS?: (ctx: KoaContextWithOIDC, origin: string, client: Client) => boolean
    conformIdTokenClaims?: boolean
    cookies?: {
      names?: { session?: string; interaction?: string; resume?: string }
      keys?: string[]
    }
    features?: {
      devInteractions?: { enabled: boolean }
      rpInitiatedLogout?: {
        enabled: boolean
        logoutSource?: (ctx: KoaContextWithOIDC, form: string) => Promise<void>
        postLogoutSuccessSource?: (ctx: KoaContextWithOIDC) => Promise<void>
      }
      [feature: string]: unknown
    }
    findAccount?: (ctx: KoaContextWithOIDC, sub: string, token?: unknown) => Promise<Account | undefined>
    interactions?: { url?: (ctx: KoaContextWithOIDC, interaction: Interaction) => Promise<string> }
    jwks?: { keys: UnknownObject[] }
    loadExistingGrant?: (ctx: KoaContextWithOIDC) => Promise<Grant | undefined>
    pkce?: { required?: (ctx: KoaContextWithOIDC, client: Client) => boolean }
    issueRefreshToken?: (ctx: KoaContextWithOIDC, client: Client, code: unknown) => Promise<boolean>
    rotateRefreshToken?: (ctx: KoaContextWithOIDC) => boolean
    renderError?: (ctx: KoaContextWithOIDC, out: Record<string, string>, error: Error) => Promise<void>
    responseTypes?: string[]
    scopes?: string[]
    ttl?: Record<string, number>
    [key: string]: unknown
  }

  export class Grant {
    constructor(properties?: { accountId?: string; clientId?: string })
    jti: string
    accountId?: string
    clientId?: string
    addOIDCScope(scope: string): void
    addOIDCClaims(claims: string[]): void
    addResourceScope(resource: string, scope: string): void
    save(ttl?: number): Promise<string>
    static find(id: string): Promise<Grant | undefined>
  }

  type NodeHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void> | void

  export class Provider {
    constructor(issuer: string, configuration?: Configuration)
    readonly issuer: string
    readonly Grant: typeof Grant
    proxy: boolean
    callback(): NodeHandler
    interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<Interaction>
    interactionFinished(
      req: IncomingMessage,
      res: ServerResponse,
      result: InteractionResults,
      options?: { mergeWithLastSubmission?: boolean },
    ): Promise<void>
    on(event: string, listener: (...args: unknown[]) => void): this
  }

  export default Provider
}
