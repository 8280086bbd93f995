import fp from 'fastify-plugin'
import helmet from '@fastify/helmet'

/** No inline script or style anywhere, so the CSP can be strict; forms may post to the provider (logout). */
export default fp(async function helmetPlugin (app, opts: { providerOrigin: string }) {
  await app.register(helmet, {
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
}, { name: 'helmet' })
