import { createHash, randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { SignJWT, UnsecuredJWT, exportJWK, generateKeyPair, type JWK } from 'jose'
import { CLIENT, PROJECT_ID } from './app.ts'

/**
 * A small OpenID provider whose answers each test bends, to replay the OpenID Foundation's
 * relying-party certification cases: it runs the real code flow over HTTP (discovery, authorize with
 * state/nonce/PKCE, a single-use code, token, userinfo, JWKS) and signs ID tokens as it is told.
 */
export interface Misbehaviour {
  /** Changes to the ID token's claims (undefined removes a claim). */
  claims?: Record<string, unknown>
  /**
   * How the ID token is signed: the current key (default); `forged`: another key under the current kid
   * (a bad signature); `stranger`: a key and kid nobody published; alg none; HS256 keyed with the
   * client secret.
   */
  signing?: 'current' | 'forged' | 'stranger' | 'none' | 'hs256'
  /** Leave the kid out of the JWS header. */
  omitKid?: boolean
  /** The sub userinfo answers with. */
  userinfoSub?: string
  /** The state the authorization endpoint sends back. */
  state?: string
}

interface Key { kid: string, privateKey: CryptoKey, jwk: JWK }

async function newKey (kid: string): Promise<Key> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true })
  return { kid, privateKey, jwk: { ...await exportJWK(publicKey), kid, alg: 'RS256', use: 'sig' } }
}

export interface HostileProvider {
  issuer: string
  /** What the next logins get; reset to good behaviour with {}. */
  misbehave: Misbehaviour
  /** Requests seen per endpoint (discovery, jwks, token, userinfo). */
  hits: Record<string, number>
  /** Codes the token endpoint refused as already used. */
  replayedCodes: string[]
  /** Publishes `keys` in the JWKS and signs with the first. */
  useKeys: (...kids: string[]) => Promise<void>
  /**
   * A back-channel logout token for the signed-in subject, signed with the current key: fresh jti,
   * iat now, exp in 2 minutes, typ logout+jwt; `claims` and `header` change it (undefined removes).
   */
  logoutToken: (claims?: Record<string, unknown>, header?: Record<string, unknown>) => Promise<string>
  close: () => Promise<void>
}

export async function startHostileProvider (t: { teardown: (fn: () => unknown) => void }): Promise<HostileProvider> {
  const keys = new Map<string, Key>()
  let published: Key[] = []
  const codes = new Map<string, { nonce: string, challenge: string, used: boolean }>()
  const hits: Record<string, number> = { discovery: 0, jwks: 0, token: 0, userinfo: 0 }
  const replayedCodes: string[] = []
  const stranger = await newKey('stranger')
  const sub = 'hostile-user'
  const roles = { [`urn:zitadel:iam:org:project:${PROJECT_ID}:roles`]: { user: { org: 'example' } } }

  const server = createServer((req, res) => { handle(req, res).catch((err: unknown) => json(res, 500, { error: String(err) })) })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const self: HostileProvider = {
    issuer,
    misbehave: {},
    hits,
    replayedCodes,
    async useKeys (...kids) {
      for (const kid of kids) if (!keys.has(kid)) keys.set(kid, await newKey(kid))
      published = kids.map((kid) => keys.get(kid) as Key)
    },
    async logoutToken (claims = {}, header = {}) {
      const now = Math.floor(Date.now() / 1000)
      const current = published[0] as Key
      const payload: Record<string, unknown> = {
        iss: issuer, aud: CLIENT.clientId, sub, iat: now, exp: now + 120, jti: randomBytes(12).toString('base64url'),
        events: { 'http://schemas.openid.net/event/backchannel-logout': {} }, ...claims
      }
      const protectedHeader: Record<string, unknown> = { alg: 'RS256', kid: current.kid, typ: 'logout+jwt', ...header }
      for (const bag of [payload, protectedHeader]) for (const [name, value] of Object.entries(bag)) if (value === undefined) delete bag[name]
      return new SignJWT(payload).setProtectedHeader(protectedHeader as { alg: string }).sign(current.privateKey)
    },
    close: async () => new Promise<void>((resolve) => { server.close(() => resolve()); server.closeAllConnections() })
  }
  await self.useKeys('key-1')
  t.teardown(self.close)

  async function idToken (nonce: string): Promise<string> {
    const now = Math.floor(Date.now() / 1000)
    const claims: Record<string, unknown> = { iss: issuer, sub, aud: CLIENT.clientId, iat: now, exp: now + 300, nonce, ...self.misbehave.claims }
    for (const [name, value] of Object.entries(claims)) if (value === undefined) delete claims[name]
    const signing = self.misbehave.signing ?? 'current'
    if (signing === 'none') return new UnsecuredJWT(claims).encode()
    if (signing === 'hs256') return new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(CLIENT.clientSecret))
    const current = published[0] as Key
    const key = signing === 'current' ? current : stranger
    const kid = signing === 'forged' ? current.kid : key.kid
    return new SignJWT(claims).setProtectedHeader(self.misbehave.omitKid === true ? { alg: 'RS256' } : { alg: 'RS256', kid }).sign(key.privateKey)
  }

  async function handle (req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', issuer)
    if (url.pathname === '/.well-known/openid-configuration') {
      hits.discovery = (hits.discovery ?? 0) + 1
      return json(res, 200, {
        issuer,
        authorization_endpoint: `${issuer}/authorize`,
        token_endpoint: `${issuer}/token`,
        userinfo_endpoint: `${issuer}/userinfo`,
        jwks_uri: `${issuer}/jwks`
      })
    }
    if (url.pathname === '/jwks') {
      hits.jwks = (hits.jwks ?? 0) + 1
      return json(res, 200, { keys: published.map((k) => k.jwk) })
    }
    if (url.pathname === '/authorize') {
      // No sign-in page: this provider signs everyone in as the same user at once.
      const code = randomBytes(16).toString('base64url')
      codes.set(code, { nonce: url.searchParams.get('nonce') ?? '', challenge: url.searchParams.get('code_challenge') ?? '', used: false })
      const back = new URL(url.searchParams.get('redirect_uri') ?? '')
      back.searchParams.set('code', code)
      back.searchParams.set('state', self.misbehave.state ?? url.searchParams.get('state') ?? '')
      res.writeHead(302, { location: back.href }).end()
      return
    }
    if (url.pathname === '/token' && req.method === 'POST') {
      hits.token = (hits.token ?? 0) + 1
      const form = new URLSearchParams(await readBody(req))
      if (form.get('grant_type') === 'refresh_token') {
        // Renewal: new access and refresh tokens, no new ID token (OIDC Core 12.2 allows that), so the
        // subject is confirmed by userinfo alone.
        if (!(form.get('refresh_token') ?? '').startsWith('rt-')) return json(res, 400, { error: 'invalid_grant' })
        const next = randomBytes(16).toString('base64url')
        return json(res, 200, { access_token: `at-${next}`, token_type: 'Bearer', expires_in: 300, refresh_token: `rt-${next}` })
      }
      const code = form.get('code') ?? ''
      const grant = codes.get(code)
      if (grant === undefined) return json(res, 400, { error: 'invalid_grant' })
      if (grant.used) {
        replayedCodes.push(code)
        return json(res, 400, { error: 'invalid_grant', error_description: 'code already used' })
      }
      grant.used = true
      const verifier = form.get('code_verifier') ?? ''
      if (createHash('sha256').update(verifier).digest('base64url') !== grant.challenge) return json(res, 400, { error: 'invalid_grant', error_description: 'PKCE' })
      return json(res, 200, { access_token: `at-${code}`, token_type: 'Bearer', expires_in: 300, refresh_token: `rt-${code}`, id_token: await idToken(grant.nonce) })
    }
    if (url.pathname === '/userinfo') {
      hits.userinfo = (hits.userinfo ?? 0) + 1
      return json(res, 200, { sub: self.misbehave.userinfoSub ?? sub, preferred_username: 'hostile', ...roles })
    }
    json(res, 404, { error: 'not_found' })
  }
  return self
}

function json (res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(body))
}

async function readBody (req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk)
  return Buffer.concat(chunks).toString('utf8')
}
