import fp from 'fastify-plugin'
import Fastify from 'fastify'
import helmet, { type FastifyHelmetOptions } from '@fastify/helmet'

/**
 * The header set @fastify/helmet sends with these options. It sends the same set on every request
 * (no CSP nonces here), yet rebuilds helmet's middleware — parsing and serialising every CSP directive —
 * on each one: about 10% of a page's CPU. So it runs once, on a throwaway instance, and the result is
 * sent as it is.
 */
async function helmetHeaders (options: FastifyHelmetOptions): Promise<Record<string, string>> {
  const probe = Fastify({ logger: false })
  await probe.register(helmet, options)
  probe.get('/', async () => '')
  const res = await probe.inject({ url: '/' })
  await probe.close()
  const headers: Record<string, string> = {}
  // Keep only what helmet added: not what Fastify itself puts on every answer.
  for (const [name, value] of Object.entries(res.headers)) {
    if (!['content-type', 'content-length', 'date', 'connection', 'keep-alive'].includes(name)) headers[name] = String(value)
  }
  return headers
}

/** No inline script or style anywhere, so the CSP can be strict; forms may post to the provider (logout). */
export default fp(async function helmetPlugin (app, opts: { providerOrigin: string }) {
  const headers = await helmetHeaders({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        formAction: ["'self'", opts.providerOrigin],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
        objectSrc: ["'none'"],
        ...(app.config.secureCookies ? { upgradeInsecureRequests: [] } : {})
      }
    },
    // Redirects to the provider must carry no path of ours beyond the origin.
    referrerPolicy: { policy: 'same-origin' },
    hsts: app.config.secureCookies
  })
  app.addHook('onRequest', (_request, reply, done) => {
    reply.headers(headers)
    done()
  })
}, { name: 'helmet' })
