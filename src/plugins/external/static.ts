import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, extname, join } from 'node:path'
import fastifyStatic from '@fastify/static'
import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'

const require = createRequire(import.meta.url)
const htmxDist = join(dirname(require.resolve('htmx.org/package.json')), 'dist')

declare module 'fastify' {
  interface FastifyInstance {
    /** The content-addressed URL of a page asset (its name as under /static/), cached for a year. */
    assetUrl: (name: string) => string
  }
}

/**
 * Our CSS/JS from public/, and htmx straight from node_modules (never a CDN: there may be no internet).
 * Pages link each asset by a URL that carries a hash of its content (`/static/css/app.3f9c1e2a7b.css`),
 * served with `Cache-Control: immutable` for a year: a browser asks once, and a new release changes the
 * URL. The plain URLs still answer, with a short cache, for anything that links them directly.
 */
export default fp(async function staticPlugin (app: FastifyInstance, opts: { publicDir: string }) {
  const production = app.config.nodeEnv === 'production'
  await app.register(fastifyStatic, {
    root: opts.publicDir,
    prefix: '/static/',
    maxAge: production ? '1h' : 0
  })
  await app.register(fastifyStatic, {
    root: htmxDist,
    prefix: '/static/vendor/htmx/',
    decorateReply: false,
    allowedPath: (path) => /^\/(htmx|ext\/hx-[a-z-]+)(\.min)?\.js$/.test(path),
    maxAge: production ? '1d' : 0
  })

  // The assets the layout links; each hashed URL is one exact route, so nothing from the URL reaches
  // the file system. Hashed once at start (a few files, well under a millisecond each).
  const assets: Record<string, { root: string, file: string }> = {
    'favicon.svg': { root: opts.publicDir, file: 'favicon.svg' },
    'css/app.css': { root: opts.publicDir, file: 'css/app.css' },
    'js/app.js': { root: opts.publicDir, file: 'js/app.js' },
    'vendor/htmx/htmx.min.js': { root: htmxDist, file: 'htmx.min.js' }
  }
  const urls = new Map<string, string>()
  for (const [name, { root, file }] of Object.entries(assets)) {
    const hash = createHash('sha256').update(readFileSync(join(root, file))).digest('hex').slice(0, 10)
    const ext = extname(name)
    const url = `/static/${name.slice(0, -ext.length)}.${hash}${ext}`
    urls.set(name, url)
    // In development a file edited while the app runs keeps its start-time URL: not cached there.
    app.get(url, (_request, reply) => reply.sendFile(file, root, production ? { maxAge: '365d', immutable: true } : { maxAge: 0 }))
  }
  app.decorate('assetUrl', (name: string) => {
    const url = urls.get(name)
    if (url === undefined) throw new Error(`no such asset: ${name}`)
    return url
  })
}, { name: 'static' })
