import t from 'tap'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { SignJWT, UnsecuredJWT, exportJWK, generateKeyPair, type JWK } from 'jose'
import { createIdTokenVerifier } from '../../src/oidc/verify-id-token.ts'
import type { ProviderMetadata } from '../../src/oidc/discovery.ts'

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
  const verify = createIdTokenVerifier({ metadata, clientId: CLIENT, clockToleranceSeconds: 30, httpTimeoutMs: 2000 })

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
})
