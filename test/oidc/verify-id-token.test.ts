import t from 'tap'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { SignJWT, UnsecuredJWT, exportJWK, generateKeyPair, type JWK } from 'jose'
import { createTokenVerifiers } from '../../src/sign-in/tokens.ts'
import type { ProviderMetadata } from '../../src/sign-in/provider.ts'

const ISSUER = 'https://issuer.example'
const CLIENT = 'polls'

t.test('ID token verification', async (t) => {
  const rsa = await generateKeyPair('RS256', { extractable: true })
  const ec = await generateKeyPair('ES256', { extractable: true })
  const stranger = await generateKeyPair('RS256', { extractable: true })
  const keys: JWK[] = [{ ...await exportJWK(rsa.publicKey), kid: 'rsa', alg: 'RS256', use: 'sig' }, { ...await exportJWK(ec.publicKey), kid: 'ec', alg: 'ES256', use: 'sig' }]
  const server = createServer((_req, res) => { res.setHeader('content-type', 'application/json'); res.end(JSON.stringify({ keys })) })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  const metadata = { issuer: ISSUER, jwks_uri: `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks` } as ProviderMetadata
  const verifiers = createTokenVerifiers({ metadata, clientId: CLIENT, clockToleranceSeconds: 30, httpTimeoutMs: 2000 })
  const verify = async (idToken: string, nonce: string) => verifiers.verifyIdToken(idToken, { nonce })

  const now = Math.floor(Date.now() / 1000)
  const base = { sub: 'u1', nonce: 'n1' }
  async function token (claims: Record<string, unknown> = {}, opts: { alg?: string, kid?: string, key?: CryptoKey | Uint8Array, iss?: string, aud?: string | string[], iat?: number, exp?: number } = {}) {
    return new SignJWT({ ...base, ...claims })
      .setProtectedHeader({ alg: opts.alg ?? 'RS256', kid: opts.kid ?? 'rsa' })
      .setIssuer(opts.iss ?? ISSUER)
      .setAudience(opts.aud ?? CLIENT)
      .setIssuedAt(opts.iat ?? now)
      .setExpirationTime(opts.exp ?? now + 300)
      .sign(opts.key ?? rsa.privateKey)
  }

  t.equal((await verify(await token(), 'n1')).sub, 'u1', 'RS256 accepted')
  t.equal((await verify(await token({}, { alg: 'ES256', kid: 'ec', key: ec.privateKey }), 'n1')).sub, 'u1', 'ES256 accepted')
  t.equal((await verify(await token({ azp: CLIENT }, { aud: [CLIENT, 'other'] }), 'n1')).sub, 'u1', 'several audiences with azp = us')

  const rejected: Array<[string, Promise<string>, string?]> = [
    ['bad signature', token({}, { key: stranger.privateKey })],
    ['wrong issuer', token({}, { iss: 'https://evil.example' })],
    ['wrong audience', token({}, { aud: 'someone-else' })],
    ['several audiences without azp', token({}, { aud: [CLIENT, 'other'] })],
    ['azp of another client', token({ azp: 'other' }, { aud: [CLIENT, 'other'] })],
    ['expired', token({}, { iat: now - 7200, exp: now - 3600 })],
    ['issued in the future', token({}, { iat: now + 3600, exp: now + 7200 })],
    ['wrong nonce', token({ nonce: 'other' })],
    ['missing nonce', token({ nonce: undefined })],
    ['HS256 keyed with a secret', token({}, { alg: 'HS256', key: new TextEncoder().encode('client-secret-client-secret-0123') })],
    ['alg none', Promise.resolve(new UnsecuredJWT({ ...base }).setIssuer(ISSUER).setAudience(CLIENT).setIssuedAt(now).setExpirationTime(now + 300).encode())]
  ]
  for (const [label, pending] of rejected) {
    await t.rejects(verify(await pending, 'n1'), { name: 'IdTokenError' }, `${label} is rejected`)
  }

  // After a refresh (OIDC Core 12.2) there is no nonce to match, but the subject must stay the same.
  t.equal((await verifiers.verifyIdToken(await token({ nonce: undefined }), { sameSubjectAs: 'u1' })).sub, 'u1', 'refreshed token for the same subject')
  await t.rejects(verifiers.verifyIdToken(await token({ sub: 'u2' }), { sameSubjectAs: 'u1' }), { name: 'IdTokenError' }, 'refreshed token for another subject')

  // Back-Channel Logout 1.0, 2.6: a logout token is signed like an ID token, carries the event, sid or
  // sub and a jti, and never a nonce (so an ID token can never pass as one).
  const event = { 'http://schemas.openid.net/event/backchannel-logout': {} }
  const logout = (claims: Record<string, unknown>, opts: Parameters<typeof token>[1] = {}) => token({ nonce: undefined, jti: 'j1', events: event, sid: 's1', ...claims }, opts)
  t.match(await verifiers.verifyLogoutToken(await logout({})), { sid: 's1', sub: 'u1', jti: 'j1', issuedAt: Date, expiresAt: Date }, 'logout token with sid and sub')
  t.match(await verifiers.verifyLogoutToken(await logout({ sub: undefined })), { sid: 's1', sub: undefined, jti: 'j1' }, 'logout token with sid only')
  const badLogouts: Array<[string, Promise<string>]> = [
    ['an ID token (nonce, no event)', token()],
    ['a nonce', logout({ nonce: 'n1' })],
    ['no event', logout({ events: undefined })],
    ['another event', logout({ events: { 'http://schemas.openid.net/event/other': {} } })],
    ['neither sid nor sub', logout({ sid: undefined, sub: undefined })],
    ['no jti', logout({ jti: undefined })],
    ['bad signature', logout({}, { key: stranger.privateKey })],
    ['wrong issuer', logout({}, { iss: 'https://evil.example' })],
    ['wrong audience', logout({}, { aud: 'someone-else' })],
    ['expired', logout({}, { iat: now - 7200, exp: now - 3600 })],
    ['issued in the future', logout({}, { iat: now + 3600, exp: now + 7200 })]
  ]
  for (const [label, pending] of badLogouts) {
    await t.rejects(verifiers.verifyLogoutToken(await pending), { name: 'IdTokenError' }, `logout token with ${label} is rejected`)
  }
})
