import { randomBytes } from 'node:crypto'
import type { AppConfig } from '../config.ts'
import { startDevProvider, type DevProvider } from './dev-provider.ts'

/**
 * With no provider configured outside production, start the built-in one on loopback and register
 * this app as its client, so a fresh checkout is a working demo.
 */
export async function withDevProvider (config: AppConfig): Promise<{ config: AppConfig, provider: DevProvider }> {
  if (config.nodeEnv === 'production') throw new Error('The development provider never runs in production')
  const clientId = 'polls-dev'
  const clientSecret = randomBytes(24).toString('base64url')
  const provider = await startDevProvider({
    host: '127.0.0.1',
    port: config.devProviderPort,
    projectId: config.oidc.projectId,
    clients: [{
      clientId,
      clientSecret,
      redirectUris: [`${config.appUrl}/oidc/callback/`],
      postLogoutRedirectUris: [`${config.appUrl}/`]
    }]
  })
  return {
    provider,
    config: { ...config, oidc: { ...config.oidc, baseUrl: provider.issuer, clientId, clientSecret } }
  }
}
