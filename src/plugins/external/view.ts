import fp from 'fastify-plugin'
import view from '@fastify/view'
import { Eta } from 'eta'
import type { FastifyReply, FastifyRequest } from 'fastify'

/**
 * Eta resolves every template name (and every include and layout inside it) to a file path on each
 * render — JSON.stringify of a cache key, path.join, path.relative — even with its cache on: about a
 * third of rendering a page. The names a template can ask for are fixed, so each resolution is kept.
 */
class CachedPathsEta extends Eta {
  constructor (config: ConstructorParameters<typeof Eta>[0]) {
    super(config)
    const resolve = this.resolvePath
    const resolved = new Map<string, string>()
    this.resolvePath = function cachedResolvePath (template, options) {
      const key = `${options?.filepath ?? ''}\n${template}`
      let path = resolved.get(key)
      if (path === undefined) {
        path = resolve.call(this, template, options)
        resolved.set(key, path)
      }
      return path
    }
  }
}

/**
 * Eta templates with auto-escaping. `reply.render` picks the full page or its fragment from the same
 * URL, and sends `Vary: HX-Request` so a cache never serves one for the other.
 */
export default fp(async function viewPlugin (app, opts: { templatesDir: string, devProvider: boolean }) {
  const production = app.config.nodeEnv === 'production'
  await app.register(view, {
    // In development templates are read afresh on each render, so edits show without a restart.
    engine: { eta: production ? new CachedPathsEta({ views: opts.templatesDir, cache: true, autoEscape: true }) : new Eta({ views: opts.templatesDir, cache: false, autoEscape: true }) },
    root: opts.templatesDir,
    viewExt: 'eta',
    production
  })

  // A getter rather than a hook on every request: only the requests that ask pay for it.
  app.decorateRequest('isHtmx', {
    getter (this: FastifyRequest) {
      // Boosted navigation and history restores want whole pages.
      return this.headers['hx-request'] === 'true' &&
        this.headers['hx-boosted'] !== 'true' &&
        this.headers['hx-history-restore-request'] !== 'true'
    }
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
      asset: app.assetUrl,
      path: request.url,
      flash,
      ...data
    })
  })

  app.decorateReply('sendHtml', function (this: FastifyReply, html: string | Buffer) {
    this.header('vary', 'HX-Request')
    this.header('cache-control', 'no-store')
    return this.type('text/html; charset=utf-8').send(html)
  })

  app.decorateReply('render', async function (this: FastifyReply, page: string, fragment: string | null, data: Record<string, unknown> = {}) {
    return this.sendHtml(await this.renderHtml(page, fragment, data))
  })
}, { name: 'view', dependencies: ['csrf', 'auth', 'static'] })
