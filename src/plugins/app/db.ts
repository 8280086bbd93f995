import fp from 'fastify-plugin'
import { openDatabase } from '../../db/client.ts'
import { createPollQueries } from '../../db/polls.ts'
import { createUserQueries } from '../../db/users.ts'
import { createSessionQueries } from '../../db/sessions.ts'
import { createAdminQuestionQueries } from '../../db/admin-questions.ts'
import { createAdminChoiceQueries } from '../../db/admin-choices.ts'
import { createAdminUserQueries } from '../../db/admin-users.ts'
import { createAdminLogQueries } from '../../db/admin-log.ts'

/** One connection per process (better-sqlite3 is synchronous); migrations run before anything serves. */
export default fp(async function dbPlugin (app) {
  const db = openDatabase(app.config.databaseUrl, { busyTimeoutMs: app.config.sqliteBusyTimeoutMs })
  app.decorate('db', db)
  app.decorate('polls', createPollQueries(db))
  app.decorate('users', createUserQueries(db))
  app.decorate('sessions', createSessionQueries(db))
  app.decorate('admin', {
    questions: createAdminQuestionQueries(db),
    choices: createAdminChoiceQueries(db),
    users: createAdminUserQueries(db),
    log: createAdminLogQueries(db)
  })
  app.addHook('onClose', async () => { db.$client.close() })
}, { name: 'db' })
