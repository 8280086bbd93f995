import cluster from 'node:cluster'
import { randomBytes } from 'node:crypto'
import { buildApp } from './app.ts'
import { ConfigError, parseConfig, readEnv, type AppConfig } from './config.ts'
import { openStore } from './db/open-store.ts'
import type { DevProvider } from './oidc/dev-provider.ts'

const DEV_PROVIDER_MARK = 'POLLS_DEV_PROVIDER'

function readConfig (): AppConfig {
  try {
    return parseConfig(readEnv())
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message)
      process.exit(1)
    }
    throw err
  }
}

/** One process serving HTTP: the whole app, graceful close on SIGINT/SIGTERM. */
async function serve (config: AppConfig, devProvider: DevProvider | undefined, devProviderIssuer: string | undefined) {
  const pretty = config.nodeEnv === 'development' && process.stdout.isTTY && cluster.isPrimary
  const app = await buildApp(config, {
    devProvider: devProviderIssuer !== undefined,
    logger: pretty ? { transport: { target: 'pino-pretty' } } : {}
  })
  if (devProviderIssuer !== undefined && cluster.isPrimary) {
    app.log.warn(`Using the built-in DEVELOPMENT OpenID provider at ${devProviderIssuer} (demo users: alice=admin, bob=staff, carol=user, dave=no role). Set OIDC_OP_BASE_URL and friends to use ZITADEL.`)
  }
  if (config.sessionSecretIsEphemeral && cluster.isPrimary) app.log.warn('SESSION_SECRET is not set: sessions end when the app restarts.')

  let closing = false
  const shutdown = async (signal: string) => {
    if (closing) return
    closing = true
    app.log.info({ signal }, 'shutting down')
    // In-flight requests get a few seconds to finish; then the remaining connections are cut.
    const cut = setTimeout(() => app.server.closeAllConnections(), 5_000)
    cut.unref()
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
  app.signIn.provider.connected().then(
    ({ metadata }) => { app.log.info({ issuer: metadata.issuer }, 'OpenID provider metadata loaded') },
    (err: Error) => { app.log.error(`${err.message}. Logins answer 503 until it is reachable; retrying with backoff.`) }
  )
}

/**
 * WEB_CONCURRENCY > 1: this process migrates the database once, starts the development provider if
 * one is needed, and forks workers that share the port, the SQLite file (WAL) and one session secret.
 */
async function supervise (config: AppConfig, devProvider: DevProvider | undefined) {
  await (await openStore(config)).close()
  const env: Record<string, string> = {
    SESSION_SECRET: process.env.SESSION_SECRET ?? randomBytes(48).toString('base64url'),
    OIDC_OP_BASE_URL: config.oidc.baseUrl ?? '',
    OIDC_RP_CLIENT_ID: config.oidc.clientId ?? '',
    OIDC_RP_CLIENT_SECRET: config.oidc.clientSecret ?? '',
    ZITADEL_PROJECT: config.oidc.projectId
  }
  if (devProvider !== undefined) {
    env[DEV_PROVIDER_MARK] = devProvider.issuer
    console.warn(`Using the built-in DEVELOPMENT OpenID provider at ${devProvider.issuer}.`)
  }
  let stopping = false
  for (let i = 0; i < config.webConcurrency; i++) cluster.fork(env)
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return
    console.error(`worker ${worker.process.pid} exited (${signal ?? code}); starting another`)
    cluster.fork(env)
  })
  const stop = () => {
    stopping = true
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM')
    const done = () => {
      if (Object.keys(cluster.workers ?? {}).length > 0) return
      void Promise.resolve(devProvider?.close()).then(() => process.exit(0))
    }
    cluster.on('exit', done)
    done()
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
}

async function main () {
  let config = readConfig()
  let devProvider: DevProvider | undefined
  if (cluster.isPrimary && config.oidc.baseUrl === undefined) {
    // Loaded only when needed: oidc-provider is large, and production never uses it.
    const { withDevProvider } = await import('./oidc/dev-setup.ts')
    ;({ config, provider: devProvider } = await withDevProvider(config))
  }
  if (cluster.isPrimary && config.webConcurrency > 1) return supervise(config, devProvider)
  const issuer = cluster.isPrimary ? devProvider?.issuer : process.env[DEV_PROVIDER_MARK]
  return serve(config, devProvider, issuer)
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? `Polls could not start: ${err.message}` : err)
  process.exit(1)
})
