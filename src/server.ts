import { buildApp } from './app.ts'
import { ConfigError, parseConfig, readEnv } from './config.ts'
import { discoverProvider } from './oidc/discovery.ts'
import { withDevProvider } from './oidc/dev-setup.ts'
import type { DevProvider } from './oidc/dev-provider.ts'

async function main () {
  let config
  try {
    config = parseConfig(readEnv())
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message)
      process.exit(1)
    }
    throw err
  }

  let devProvider: DevProvider | undefined
  if (config.oidc.baseUrl === undefined) {
    ({ config, provider: devProvider } = await withDevProvider(config))
  }
  const metadata = await discoverProvider(config.oidc.baseUrl as string, config.oidc.httpTimeoutMs)
  const pretty = config.nodeEnv === 'development' && process.stdout.isTTY
  const app = await buildApp(config, {
    providerMetadata: metadata,
    devProvider: devProvider !== undefined,
    logger: pretty ? { transport: { target: 'pino-pretty' } } : {}
  })
  if (devProvider !== undefined) {
    app.log.warn(`Using the built-in DEVELOPMENT OpenID provider at ${devProvider.issuer} (demo users: alice=admin, bob=staff, carol=user, dave=no role). Set OIDC_OP_BASE_URL and friends to use ZITADEL.`)
  }
  if (config.sessionSecretIsEphemeral) app.log.warn('SESSION_SECRET is not set: sessions end when the app restarts.')

  let closing = false
  const shutdown = async (signal: string) => {
    if (closing) return
    closing = true
    app.log.info({ signal }, 'shutting down')
    const force = setTimeout(() => process.exit(1), 10_000)
    force.unref()
    await app.close()
    await devProvider?.close()
    process.exit(0)
  }
  process.on('SIGINT', () => { void shutdown('SIGINT') })
  process.on('SIGTERM', () => { void shutdown('SIGTERM') })

  await app.listen({ host: config.host, port: config.port })
  app.log.info(`Polls is ready at ${config.appUrl}/`)
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? `Polls could not start: ${err.message}` : err)
  process.exit(1)
})
