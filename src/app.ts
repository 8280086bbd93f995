import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import { projectRoot } from './paths.ts'
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify'
import formbody from '@fastify/formbody'
import sensible from '@fastify/sensible'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { AppConfig } from './config.ts'
import type { ProviderCaching } from './sign-in/provider.ts'
import helmetPlugin from './plugins/external/helmet.ts'
import compressPlugin from './plugins/external/compress.ts'
import staticPlugin from './plugins/external/static.ts'
import sessionPlugin from './plugins/external/session.ts'
import rateLimitPlugin from './plugins/external/rate-limit.ts'
import csrfPlugin from './plugins/external/csrf.ts'
import viewPlugin from './plugins/external/view.ts'
import dbPlugin from './plugins/app/db.ts'
import authPlugin from './plugins/app/auth.ts'
import signInPlugin from './plugins/app/sign-in.ts'
import errorsPlugin from './plugins/app/errors.ts'
import homeRoutes from './routes/home.ts'
import userRoutes from './routes/user/index.ts'
import pollsRoutes from './routes/polls/index.ts'
import adminRoutes from './routes/admin/index.ts'
import oidcRoutes from './routes/oidc/index.ts'
import './types.ts'

const root = projectRoot

export interface BuildOptions {
  /** Bounds on what is cached from the provider (JWKS cooldown, discovery age); the defaults suit production. */
  providerCaching?: ProviderCaching
  /** True when the built-in development provider is in use: pages say so. */
  devProvider?: boolean
  /** Pino options (level, transport); false silences the app. Request URLs are always redacted. */
  logger?: false | { level?: string, transport?: unknown, stream?: NodeJS.WritableStream }
}

// The callback's query carries the authorization code: log the path, never the query string.
// (The request id is on every line already, as reqId.)
function requestSerializer (req: { method: string, url: string }) {
  const queryAt = req.url.indexOf('?')
  return { method: req.method, url: queryAt === -1 ? req.url : `${req.url.slice(0, queryAt)}?…` }
}

/**
 * The access log: one line per request (Fastify's default is two, incoming and completed), with the
 * request id (as every line logged for a request has), method, path (no query: see requestSerializer),
 * status and duration in milliseconds.
 */
class AccessLog extends LogController {
  override incomingRequest () {}

  override requestCompleted (error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply) {
    // Most of the line's work (its object, the rounding) is skipped when info lines are not written.
    if (!error && (reply.log as { isLevelEnabled?: (level: string) => boolean }).isLevelEnabled?.('info') === false) return
    const line = { req: request, res: reply, responseTime: Number(reply.elapsedTime.toFixed(2)) }
    if (error) reply.log.error({ ...line, err: error }, 'request errored')
    else reply.log.info(line, 'request completed')
  }
}

/** The whole app as one Fastify instance; tests build exactly what production runs. */
export async function buildApp (config: AppConfig, options: BuildOptions): Promise<FastifyInstance> {
  const { baseUrl } = config.oidc
  if (baseUrl === undefined) throw new Error('buildApp needs the OIDC provider settings (or the development provider)')

  const app = Fastify({
    logger: options.logger === false ? false : { level: config.logLevel, ...options.logger, serializers: { req: requestSerializer } } as FastifyServerOptions['logger'],
    trustProxy: config.trustProxy,
    logController: new AccessLog(),
    bodyLimit: 64 * 1024,
    // A client that trickles a request in is cut off (408) once the request is not whole in time; Node
    // looks at open connections every connectionsCheckingInterval. Headers get the shorter bound.
    requestTimeout: config.requestTimeoutMs,
    http: {
      headersTimeout: Math.min(10_000, config.requestTimeoutMs),
      connectionsCheckingInterval: 1000
    },
    routerOptions: { ignoreTrailingSlash: true },
    // A request id on every log line and in the x-request-id response header; a proxy's id is kept
    // when it looks like one (so logs on both sides line up), otherwise a fresh one is made.
    genReqId: (req) => {
      const given = req.headers['x-request-id']
      return typeof given === 'string' && /^[\w.:-]{1,128}$/.test(given) ? given : randomUUID()
    },
    ajv: { customOptions: { coerceTypes: true, removeAdditional: true, allErrors: false } }
  }).withTypeProvider<TypeBoxTypeProvider>()

  app.decorate('config', config)
  // Past the cap, new connections are closed at once: the process keeps file descriptors for the
  // database and for the connections it is already serving.
  app.server.maxConnections = config.maxConnections
  // Server time per response, for browsers' dev tools and for `npm run bench` (which reads it).
  // While closing, answers in flight still go out, each telling the client to drop the connection:
  // a keep-alive connection reused for the next request would otherwise hold the close open.
  let draining = false
  app.addHook('preClose', async () => { draining = true })
  app.addHook('onSend', (request, reply, payload, done) => {
    reply.header('server-timing', `app;dur=${reply.elapsedTime.toFixed(2)}`)
    reply.header('x-request-id', request.id)
    if (draining) reply.header('connection', 'close')
    done(null, payload)
  })
  await app.register(sensible)
  await app.register(helmetPlugin, { providerOrigin: new URL(baseUrl).origin })
  await app.register(compressPlugin)
  await app.register(dbPlugin)
  await app.register(signInPlugin, { caching: options.providerCaching })
  // Static files live outside the context below, so they skip session decoding and the user lookup.
  await app.register(staticPlugin, { publicDir: join(root, 'public') })

  await app.register(async function pages (site) {
    // Pages take web forms only: Fastify's default JSON and text parsers would let a script send what
    // no form can (such as lone UTF-16 surrogates, which JSON escapes allow); other types get a 415.
    site.removeAllContentTypeParsers()
    await site.register(formbody, { bodyLimit: 16 * 1024 })
    await site.register(sessionPlugin)
    await site.register(authPlugin)
    await site.register(rateLimitPlugin)
    await site.register(csrfPlugin)
    await site.register(viewPlugin, { templatesDir: join(root, 'templates'), devProvider: options.devProvider ?? false })
    await site.register(errorsPlugin)

    await site.register(homeRoutes)
    await site.register(userRoutes, { prefix: '/user' })
    await site.register(pollsRoutes, { prefix: '/polls' })
    await site.register(adminRoutes, { prefix: '/admin' })
    await site.register(oidcRoutes, { prefix: '/oidc' })
  })
  return app
}
