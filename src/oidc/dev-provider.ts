/// <reference path="./oidc-provider.d.ts" />
// Built-in DEVELOPMENT OpenID Connect provider (oidc-provider 9) on loopback. Used when no real
// provider (ZITADEL) is configured, and by tests as a real provider. Issues ZITADEL-shaped claims.
import { randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose'
import Provider, { type Configuration, type Grant, type KoaContextWithOIDC } from 'oidc-provider'
import { defaultDevUsers, type DevUser } from './dev-users.ts'
import { esc, page, send } from './dev-provider-pages.ts'
import { memoryAdapter } from './dev-provider-store.ts'

export interface DevClient {
  clientId: string; clientSecret: string; redirectUris: string[]; postLogoutRedirectUris: string[]
  /** Where the provider POSTs logout tokens (OpenID Connect Back-Channel Logout 1.0) when a sign-in ends. */
  backchannelLogoutUri?: string
}
export interface DevProviderOptions {
  host?: string
  port?: number
  projectId: string
  clients: DevClient[]
  users?: DevUser[]
  idTokenSigningAlg?: 'RS256' | 'ES256'
  rolesInIdToken?: boolean
  /** Issue (rotating) refresh tokens, so the app renews sessions server to server. Default true. */
  refreshTokens?: boolean
}
export interface DevProvider {
  issuer: string
  users: Map<string, DevUser>
  close(): Promise<void>
}

// ZITADEL keys each role's grant by the granting organisation: { role: { orgId: orgDomain } }.
const ORG_ID = 'dev-org'
const ORG_DOMAIN = 'dev.localhost'
const BODY_LIMIT = 10 * 1024

async function signingKey(alg: 'RS256' | 'ES256'): Promise<Record<string, unknown>> {
  const { privateKey } = await generateKeyPair(alg, { extractable: true })
  const jwk = await exportJWK(privateKey)
  return { ...jwk, kid: await calculateJwkThumbprint(jwk), alg, use: 'sig' }
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams | undefined> {
  let size = 0
  const chunks: Buffer[] = []
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > BODY_LIMIT) return undefined
    chunks.push(chunk)
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'))
}

export async function startDevProvider(opts: DevProviderOptions): Promise<DevProvider> {
  const host = opts.host ?? '127.0.0.1'
  const users = new Map((opts.users ?? defaultDevUsers()).map((u) => [u.username, u]))
  const alg = opts.idTokenSigningAlg ?? 'RS256'
  const refreshTokens = opts.refreshTokens ?? true
  const rolesClaims = [`urn:zitadel:iam:org:project:${opts.projectId}:roles`, 'urn:zitadel:iam:org:project:roles']
  // Always read the LIVE map: tests change roles between logins.
  const bySub = (sub: string): DevUser | undefined => [...users.values()].find((u) => u.sub === sub)

  function claimsFor(u: DevUser, use: string): Record<string, unknown> {
    const claims: Record<string, unknown> = {
      sub: u.sub, preferred_username: u.username, email: u.email, email_verified: true,
      given_name: u.givenName, family_name: u.familyName, name: `${u.givenName} ${u.familyName}`,
    }
    // Like ZITADEL's "Assert Roles on Authentication": userinfo always, ID token only if asked.
    if (u.roles.length > 0 && (use === 'userinfo' || opts.rolesInIdToken === true)) {
      for (const name of rolesClaims) claims[name] = Object.fromEntries(u.roles.map((r) => [r, { [ORG_ID]: ORG_DOMAIN }]))
    }
    return claims
  }

  // Listen first: the issuer must carry the real (possibly random) port.
  const server = createServer()
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port ?? 0, host, () => { server.off('error', reject); resolve() })
  })
  const { port } = server.address() as AddressInfo
  const issuer = `http://${host.includes(':') ? `[${host}]` : host}:${port}`

  const configuration: Configuration = {
    adapter: memoryAdapter(),
    clients: opts.clients.map((c) => ({
      client_id: c.clientId, client_secret: c.clientSecret, redirect_uris: c.redirectUris,
      post_logout_redirect_uris: c.postLogoutRedirectUris,
      grant_types: refreshTokens ? ['authorization_code', 'refresh_token'] : ['authorization_code'],
      response_types: ['code'], token_endpoint_auth_method: 'client_secret_basic', id_token_signed_response_alg: alg,
      ...(c.backchannelLogoutUri === undefined ? {} : { backchannel_logout_uri: c.backchannelLogoutUri, backchannel_logout_session_required: true }),
    })),
    // Like ZITADEL with "Refresh Token" ticked: a refresh token at every login, a new one at every use
    // (a reused one ends the grant, which is what catches a double refresh).
    issueRefreshToken: async (_ctx, client) => refreshTokens && client.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: () => true,
    // oidc-provider refuses outgoing requests to loopback (SSRF protection), but this provider and the
    // app it serves both live on loopback: back-channel logout must reach the app there.
    fetch: async (url: string | URL, options: RequestInit & { dispatcher?: unknown }) => {
      const { dispatcher: _ssrfGuard, ...rest } = options
      return globalThis.fetch(url, rest)
    },
    jwks: { keys: [await signingKey('RS256'), await signingKey('ES256')] },
    // Prefixed names: browsers share cookies across ports, so avoid clashing with the app's cookies.
    cookies: { names: { session: 'devop_session', interaction: 'devop_interaction', resume: 'devop_resume' }, keys: [randomBytes(32).toString('base64url')] },
    claims: {
      openid: ['sub', ...rolesClaims],
      email: ['email', 'email_verified'],
      profile: ['name', 'given_name', 'family_name', 'preferred_username'],
    },
    scopes: ['openid', 'email', 'profile', 'offline_access'],
    responseTypes: ['code'],
    pkce: { required: () => true },
    // Explicit values (the defaults) silence oidc-provider's "you SHOULD change" notices.
    ttl: { AccessToken: 3600, AuthorizationCode: 60, IdToken: 3600, Interaction: 3600, Session: 14 * 86400, Grant: 14 * 86400, RefreshToken: 14 * 86400 },
    clientBasedCORS: (_ctx, origin, client) => client.redirectUris.some((u) => new URL(u).origin === origin),
    interactions: { url: async (_ctx, interaction) => `/interaction/${interaction.uid}` },
    findAccount: async (_ctx, sub) => (bySub(sub) === undefined ? undefined : {
      accountId: sub,
      claims: (use) => { const u = bySub(sub); return u ? claimsFor(u, use) : { sub } },
    }),
    // First-party clients: grant whatever was requested so the consent prompt never shows.
    loadExistingGrant: async (ctx) => {
      const { oidc } = ctx
      const accountId = oidc.account?.accountId ?? oidc.session.accountId
      const clientId = oidc.client?.clientId
      if (!accountId || !clientId) return undefined
      const grantId = oidc.result?.consent?.grantId ?? oidc.session.grantIdFor(clientId)
      let grant: Grant | undefined = grantId ? await oidc.provider.Grant.find(grantId) : undefined
      if (!grant || grant.accountId !== accountId) grant = new oidc.provider.Grant({ accountId, clientId })
      if (oidc.requestParamOIDCScopes.size > 0) grant.addOIDCScope([...oidc.requestParamOIDCScopes].join(' '))
      if (oidc.requestParamClaims.size > 0) grant.addOIDCClaims([...oidc.requestParamClaims])
      await grant.save()
      return grant
    },
    renderError: async (ctx, out) => {
      ctx.type = 'html'
      ctx.body = page('Sign-in error', `<p><strong>${esc(out.error ?? 'error')}</strong></p><p>${esc(out.error_description ?? '')}</p>`)
    },
    features: {
      devInteractions: { enabled: false },
      backchannelLogout: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx: KoaContextWithOIDC, form: string) => {
          ctx.type = 'html'
          ctx.body = page('Sign out', `${form}<p>Sign out of the development provider?</p>
<button class="primary" type="submit" form="op.logoutForm" name="logout" value="yes" autofocus>Sign out</button>
<button class="link" type="submit" form="op.logoutForm">Stay signed in</button>`)
        },
        postLogoutSuccessSource: async (ctx: KoaContextWithOIDC) => {
          ctx.type = 'html'
          ctx.body = page('Signed out', '<p>You have been signed out of the development provider. You can close this page.</p>')
        },
      },
    },
  }

  const provider = new Provider(issuer, configuration)
  provider.proxy = false
  provider.on('backchannel.error', (...args: unknown[]) => {
    const [, err, client] = args as [unknown, Error, { clientId: string }]
    console.error(`dev OIDC provider: back-channel logout to ${client.clientId} failed: ${err.message}`)
  })

  const loginPage = (uid: string, clientId: string): string => {
    const action = `/interaction/${encodeURIComponent(uid)}`
    const buttons = [...users.values()].map((u) => `<form method="post" action="${esc(action)}/login">
<input type="hidden" name="username" value="${esc(u.username)}"><button type="submit"><strong>${esc(`${u.givenName} ${u.familyName}`)}</strong><br>
<small>${esc(u.username)} — ${esc(u.roles.length > 0 ? u.roles.join(', ') : 'no role')}</small></button></form>`).join('\n')
    return page('Development sign-in', `<p>Choose a user to sign in to <strong>${esc(clientId)}</strong>:</p>
${buttons}<form method="post" action="${esc(action)}/abort"><button class="link" type="submit">Cancel</button></form>`)
  }

  async function interaction(req: IncomingMessage, res: ServerResponse, uid: string, action: string | undefined): Promise<void> {
    const details = await provider.interactionDetails(req, res)
    if (details.uid !== uid) return send(res, 400, page('Sign-in error', '<p>This sign-in request has expired. Start again from the app.</p>'))
    if (req.method === 'GET' && action === undefined) {
      if (details.prompt.name === 'login') return send(res, 200, loginPage(uid, String(details.params.client_id ?? '')))
      // Defensive: loadExistingGrant should make consent unnecessary; never stall if it appears anyway.
      const accountId = details.session?.accountId
      if (details.prompt.name !== 'consent' || !accountId) return send(res, 400, page('Sign-in error', '<p>Unsupported prompt.</p>'))
      const grant = (details.grantId ? await provider.Grant.find(details.grantId) : undefined)
        ?? new provider.Grant({ accountId, clientId: String(details.params.client_id) })
      const d = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[]; missingResourceScopes?: Record<string, string[]> }
      if (d.missingOIDCScope) grant.addOIDCScope(d.missingOIDCScope.join(' '))
      if (d.missingOIDCClaims) grant.addOIDCClaims(d.missingOIDCClaims)
      for (const [resource, scopes] of Object.entries(d.missingResourceScopes ?? {})) grant.addResourceScope(resource, scopes.join(' '))
      return provider.interactionFinished(req, res, { consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: true })
    }
    if (req.method !== 'POST') return send(res, 405, page('Sign-in error', '<p>Method not allowed.</p>'))
    if (action === '/abort') {
      return provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'End-User aborted interaction' }, { mergeWithLastSubmission: false })
    }
    const form = await readForm(req)
    if (!form) return send(res, 413, page('Sign-in error', '<p>Request body too large.</p>'))
    const user = users.get(form.get('username') ?? '')
    if (!user) return send(res, 400, page('Sign-in error', '<p>Unknown user.</p>'))
    return provider.interactionFinished(req, res, { login: { accountId: user.sub } }, { mergeWithLastSubmission: false })
  }

  const callback = provider.callback()
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', issuer).pathname
    const m = /^\/interaction\/([\w-]+)(\/login|\/abort)?$/.exec(path)
    const handled = m ? interaction(req, res, m[1] ?? '', m[2]) : callback(req, res)
    Promise.resolve(handled).catch((err: unknown) => {
      const e = err as { statusCode?: number; error_description?: string }
      // oidc-provider errors (e.g. missing/expired interaction cookie) carry a 4xx statusCode.
      const status = typeof e.statusCode === 'number' && e.statusCode < 500 ? e.statusCode : 500
      if (status === 500) console.error('dev OIDC provider error:', err)
      if (!res.headersSent) send(res, status, page('Sign-in error', `<p>${esc(status === 500 ? 'Internal error.' : e.error_description ?? 'Bad request.')}</p>`))
      else res.end()
    })
  })

  return {
    issuer,
    users,
    close: () => new Promise<void>((resolve, reject) => {
      if (!server.listening) return resolve() // closed already (tests stop it to play an outage)
      server.close((err) => (err ? reject(err) : resolve()))
      server.closeAllConnections()
    }),
  }
}
