import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import fastifyStatic from '@fastify/static'
import type { FastifyInstance } from 'fastify'

const require = createRequire(import.meta.url)
const htmxDist = join(dirname(require.resolve('htmx.org/package.json')), 'dist')

/** Our CSS/JS from public/, and htmx straight from node_modules (never a CDN: there may be no internet). */
export default async function staticPlugin (app: FastifyInstance, opts: { publicDir: string }) {
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
}
