import { buildApp } from './app.ts'
import { ConfigError, parseConfig, readEnv } from './config.ts'
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
  const pretty = config.nodeEnv === 'development' && process.stdout.isTTY
  const app = await buildApp(config, {
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
  // Discover the provider now rather than at the first login; if it is down the app still serves
  // public pages, logins answer 503, and discovery is retried with backoff.
  app.oidc.provider.connected().then(
    ({ metadata }) => { app.log.info({ issuer: metadata.issuer }, 'OpenID provider metadata loaded') },
    (err: Error) => { app.log.error(`${err.message}. Logins answer 503 until it is reachable; retrying with backoff.`) }
  )
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? `Polls could not start: ${err.message}` : err)
  process.exit(1)
})
