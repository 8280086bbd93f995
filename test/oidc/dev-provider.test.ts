// End-to-end against the REAL dev provider on loopback: browser steps done by hand with fetch.
import { createHash, randomBytes } from 'node:crypto'
import t from 'tap'
import { createRemoteJWKSet, jwtVerify } from 'jose'
import { startDevProvider, type DevProvider } from '../../src/oidc/dev-provider.ts'
import { CookieJar as Jar } from '../helpers/cookie-jar.ts'

const PROJECT = '123456789'
const ROLES = `urn:zitadel:iam:org:project:${PROJECT}:roles`
const GENERIC_ROLES = 'urn:zitadel:iam:org:project:roles'
const REDIRECT = 'http://127.0.0.1:1/cb'
const LOGOUT_REDIRECT = 'http://127.0.0.1:1/bye'
const client = { clientId: 'polls', clientSecret: 'polls-secret', redirectUris: [REDIRECT], postLogoutRedirectUris: [LOGOUT_REDIRECT] }

interface Discovery { authorization_endpoint: string; token_endpoint: string; userinfo_endpoint: string; jwks_uri: string; end_session_endpoint: string }

async function request(jar: Jar, url: string, init: RequestInit = {}): Promise<Response> {
  const u = new URL(url)
  const res = await fetch(u, { ...init, redirect: 'manual', headers: { ...(init.headers as Record<string, string>), cookie: jar.header(u) } })
  jar.store(u, res)
  return res
}

/** Follows redirects on the provider until one points at `stopAt` (returned) or a page is served. */
async function follow(jar: Jar, res: Response, base: string, stopAt: string, visited: string[] = []): Promise<{ res: Response; location?: URL }> {
  for (let i = 0; i < 10 && res.status >= 300 && res.status < 400; i++) {
    const location = new URL(res.headers.get('location') ?? '', base)
    if (location.href.startsWith(stopAt)) return { res, location }
    visited.push(location.pathname)
    res = await request(jar, location.href)
  }
  return { res }
}

const formPost = (jar: Jar, url: string, body: Record<string, string>): Promise<Response> =>
  request(jar, url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(body).toString() })

async function discover(p: DevProvider): Promise<Discovery> {
  return (await (await fetch(`${p.issuer}/.well-known/openid-configuration`)).json()) as Discovery
}

/** Runs the whole authorization-code + PKCE flow as `username`; returns tokens and userinfo. */
async function signIn(p: DevProvider, username: string, clientAuth: 'basic' | 'post' = 'basic', jar = new Jar()) {
  const d = await discover(p)
  const verifier = randomBytes(32).toString('base64url')
  const state = randomBytes(8).toString('hex')
  const nonce = randomBytes(8).toString('hex')
  const auth = new URL(d.authorization_endpoint)
  auth.search = new URLSearchParams({
    client_id: client.clientId, response_type: 'code', redirect_uri: REDIRECT, scope: 'openid email profile', state, nonce,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256',
  }).toString()
  const page = await follow(jar, await request(jar, auth.href), p.issuer, REDIRECT)
  const html = await page.res.text()
  const action = /action="([^"]*\/login)"/.exec(html)?.[1] ?? ''
  const afterLogin: string[] = []
  const { location } = await follow(jar, await formPost(jar, new URL(action, p.issuer).href, { username }), p.issuer, REDIRECT, afterLogin)
  const code = location?.searchParams.get('code') ?? ''
  const basic = `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`
  const post: Record<string, string> = clientAuth === 'post' ? { client_id: client.clientId, client_secret: client.clientSecret } : {}
  const tokenRes = await fetch(d.token_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(clientAuth === 'basic' ? { authorization: basic } : {}) },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier, ...post }).toString(),
  })
  const tokens = (await tokenRes.json()) as { id_token: string; access_token: string }
  const { payload, protectedHeader } = await jwtVerify(tokens.id_token, createRemoteJWKSet(new URL(d.jwks_uri)), { issuer: p.issuer, audience: client.clientId })
  const userinfo = (await (await fetch(d.userinfo_endpoint, { headers: { authorization: `Bearer ${tokens.access_token}` } })).json()) as Record<string, unknown>
  return { html, afterLogin, state, nonce, location, tokenStatus: tokenRes.status, tokens, payload, protectedHeader, userinfo, discovery: d, jar }
}

t.test('code flow with PKCE, ZITADEL claims in userinfo, live role changes, logout', async (t) => {
  const provider = await startDevProvider({ projectId: PROJECT, clients: [client] })
  t.teardown(() => provider.close())
  t.match(provider.issuer, /^http:\/\/127\.0\.0\.1:\d+$/)

  const first = await signIn(provider, 'bob')
  t.match(first.html, /Development sign-in/)
  t.match(first.html, /DEVELOPMENT/)
  for (const name of ['alice', 'bob', 'carol', 'dave']) t.match(first.html, `value="${name}"`)
  t.match(first.html, /dave — no role/)
  t.equal(first.location?.searchParams.get('state'), first.state, 'state round-trips')
  t.notOk(first.afterLogin.some((path) => path.startsWith('/interaction/')), 'no consent interaction after login')
  t.equal(first.tokenStatus, 200)
  t.equal(first.protectedHeader.alg, 'RS256')
  t.equal(first.payload.nonce, first.nonce)
  t.equal(first.payload.sub, 'dev-bob')
  t.notOk(ROLES in first.payload, 'roles not in ID token by default')
  t.match(first.userinfo, { sub: 'dev-bob', preferred_username: 'bob', email: 'bob@example.com', email_verified: true, given_name: 'Bob', family_name: 'Brown', name: 'Bob Brown' })
  t.same(first.userinfo[ROLES], { staff: { 'dev-org': 'dev.localhost' } })
  t.same(first.userinfo[GENERIC_ROLES], { staff: { 'dev-org': 'dev.localhost' } })

  // Roles removed in the LIVE map take effect at the next login.
  const bob = provider.users.get('bob')
  t.ok(bob)
  if (bob) bob.roles = []
  const second = await signIn(provider, 'bob')
  t.equal(second.userinfo.sub, 'dev-bob')
  t.notOk(ROLES in second.userinfo, 'no project roles claim')
  t.notOk(GENERIC_ROLES in second.userinfo, 'no generic roles claim')

  // RP-initiated logout back to a registered post_logout_redirect_uri.
  const end = new URL(second.discovery.end_session_endpoint)
  end.search = new URLSearchParams({ id_token_hint: second.tokens.id_token, post_logout_redirect_uri: LOGOUT_REDIRECT, state: 'bye' }).toString()
  const logoutPage = await request(second.jar, end.href)
  const logoutHtml = await logoutPage.text()
  t.match(logoutHtml, /Sign out/)
  const formAction = /<form[^>]*action="([^"]+)"/.exec(logoutHtml)?.[1] ?? ''
  const xsrf = /name="xsrf" value="([^"]+)"/.exec(logoutHtml)?.[1] ?? ''
  const confirm = await formPost(second.jar, new URL(formAction, provider.issuer).href, { xsrf, logout: 'yes' })
  const { location } = await follow(second.jar, confirm, provider.issuer, LOGOUT_REDIRECT)
  t.equal(location?.searchParams.get('state'), 'bye', 'redirected to post_logout_redirect_uri')
})

t.test('ES256 ID token carrying roles when rolesInIdToken is set', async (t) => {
  const provider = await startDevProvider({ projectId: PROJECT, clients: [client], idTokenSigningAlg: 'ES256', rolesInIdToken: true })
  t.teardown(() => provider.close())
  const { protectedHeader, payload, userinfo } = await signIn(provider, 'alice', 'post')
  t.equal(protectedHeader.alg, 'ES256', 'signed with ES256 (token obtained with client_secret_post)')
  const jwks = (await (await fetch((await discover(provider)).jwks_uri)).json()) as { keys: Array<Record<string, unknown>> }
  t.same(jwks.keys.map((k) => k.alg).sort(), ['ES256', 'RS256'], 'both keys published')
  t.notOk(jwks.keys.some((k) => 'd' in k), 'no private key material in JWKS')
  t.same(payload[ROLES], { admin: { 'dev-org': 'dev.localhost' } })
  t.same(payload[GENERIC_ROLES], { admin: { 'dev-org': 'dev.localhost' } })
  t.same(userinfo[ROLES], { admin: { 'dev-org': 'dev.localhost' } })
})

t.test('refusals: PKCE required, unknown user, cancel', async (t) => {
  const provider = await startDevProvider({ projectId: PROJECT, clients: [client] })
  t.teardown(() => provider.close())
  const { authorization_endpoint: authorize } = await discover(provider)
  const params = { client_id: client.clientId, response_type: 'code', redirect_uri: REDIRECT, scope: 'openid', state: 's1' }
  const noPkce = await fetch(`${authorize}?${new URLSearchParams(params)}`, { redirect: 'manual' })
  t.match(noPkce.headers.get('location') ?? '', /^http:\/\/127\.0\.0\.1:1\/cb\?error=invalid_request/, 'PKCE is required')

  const jar = new Jar()
  const challenge = createHash('sha256').update(randomBytes(32).toString('base64url')).digest('base64url')
  const start = await request(jar, `${authorize}?${new URLSearchParams({ ...params, code_challenge: challenge, code_challenge_method: 'S256' })}`)
  const interaction = new URL(start.headers.get('location') ?? '', provider.issuer).href
  t.match(interaction, /\/interaction\/[\w-]+$/)
  const unknown = await formPost(jar, `${interaction}/login`, { username: 'mallory' })
  t.equal(unknown.status, 400, 'unknown user refused')
  t.match(await unknown.text(), /Unknown user/)
  const cancelled = await follow(jar, await formPost(jar, `${interaction}/abort`, {}), provider.issuer, REDIRECT)
  t.equal(cancelled.location?.searchParams.get('error'), 'access_denied', 'cancel returns access_denied')
  t.equal(cancelled.location?.searchParams.get('state'), 's1')
})
