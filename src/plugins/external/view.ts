import fp from 'fastify-plugin'
import view from '@fastify/view'
import { Eta } from 'eta'
import type { FastifyReply, FastifyRequest } from 'fastify'

/**
 * Eta templates with auto-escaping. `reply.render` picks the full page or its fragment from the same
 * URL, and sends `Vary: HX-Request` so a cache never serves one for the other.
 */
export default fp(async function viewPlugin (app, opts: { templatesDir: string, devProvider: boolean }) {
  const production = app.config.nodeEnv === 'production'
  await app.register(view, {
    engine: { eta: new Eta({ views: opts.templatesDir, cache: production, autoEscape: true }) },
    root: opts.templatesDir,
    viewExt: 'eta',
    production
  })

  app.decorateRequest('isHtmx', false)
  app.addHook('onRequest', async (request) => {
    // Boosted navigation and history restores want whole pages.
    request.isHtmx = request.headers['hx-request'] === 'true' &&
      request.headers['hx-boosted'] !== 'true' &&
      request.headers['hx-history-restore-request'] !== 'true'
  })

  app.decorateReply('flash', function (this: FastifyReply, message: string) {
    this.request.session.set('flash', message)
  })
  /** The message left by the previous request (post/redirect/get), shown once. */
  app.decorateReply('takeFlash', function (this: FastifyReply): string | undefined {
    const message = this.request.session.get('flash')
    if (message !== undefined) this.request.session.set('flash', undefined)
    return message
  })

  /** The page (or, for htmx, its fragment) as HTML, with what every view needs; nothing is sent. */
  app.decorateReply('renderHtml', async function (this: FastifyReply, page: string, fragment: string | null, data: Record<string, unknown> = {}) {
    const request: FastifyRequest = this.request
    const asFragment = fragment !== null && request.isHtmx
    const flash = asFragment ? undefined : this.takeFlash()
    return await this.viewAsync(asFragment ? fragment : page, {
      user: request.user,
      // Anonymous pages have no forms that change state: no token, so no session cookie for visitors.
      csrfToken: request.user === null ? undefined : this.generateCsrf(),
      devProvider: opts.devProvider,
      path: request.url,
      flash,
      ...data
    })
  })

  app.decorateReply('sendHtml', function (this: FastifyReply, html: string) {
    this.header('vary', 'HX-Request')
    this.header('cache-control', 'no-store')
    return this.type('text/html; charset=utf-8').send(html)
  })

  app.decorateReply('render', async function (this: FastifyReply, page: string, fragment: string | null, data: Record<string, unknown> = {}) {
    return this.sendHtml(await this.renderHtml(page, fragment, data))
  })
}, { name: 'view', dependencies: ['csrf', 'auth'] })
