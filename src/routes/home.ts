import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { roleAtLeast } from '../sign-in/claims.ts'
import { pollListItems } from './polls/poll-views.ts'

const homeRoutes: FastifyPluginAsyncTypebox = async (app) => {
  // The home page leads with the latest polls; who may do what comes below them.
  app.get('/', async (request, reply) => {
    const now = Date.now()
    return reply.render('pages/home', null, {
      title: 'Polls',
      polls: await pollListItems(app.polls, request.user, await app.polls.latestPublishedQuestions(5, now), now),
      showResults: request.user !== null && roleAtLeast(request.user.role, 'staff')
    })
  })

  // Liveness only: no database or provider call, so a load balancer never restarts a busy process.
  app.get('/healthz', {
    schema: { response: { 200: Type.Object({ status: Type.Literal('ok') }) } }
  }, async () => ({ status: 'ok' as const }))

  // Readiness for load balancers: the database answers with every migration applied, and the
  // provider's metadata is loaded (asking for it if not yet). 503 with the failing checks otherwise.
  const expectedMigrations = readMigrationJournal(app.store.migrationsFolder).length
  app.get('/readyz', {
    schema: {
      response: {
        200: ReadinessSchema,
        503: ReadinessSchema
      }
    }
  }, async (_request, reply) => {
    let database = false
    try {
      database = (await app.store.migrationsApplied()) >= expectedMigrations
    } catch { /* an unreadable database is simply not ready */ }
    const provider = await app.signIn.provider.connected().then(() => true, () => false)
    const ready = database && provider
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', database, provider })
  })
}

const ReadinessSchema = Type.Object({ status: Type.String(), database: Type.Boolean(), provider: Type.Boolean() })

function readMigrationJournal (folder: string): unknown[] {
  const journal = JSON.parse(readFileSync(join(folder, 'meta/_journal.json'), 'utf8')) as { entries: unknown[] }
  return journal.entries
}

export default homeRoutes
