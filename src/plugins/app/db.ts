import fp from 'fastify-plugin'
import { openStore } from '../../db/open-store.ts'

/**
 * The store of DATABASE_URL (SQLite or PostgreSQL), migrated before anything serves. Its parts are
 * decorated under their own names too, so a route names only what it uses (app.polls, app.sessions…).
 */
export default fp(async function dbPlugin (app) {
  const store = await openStore(app.config, (err) => { app.log.warn({ reason: err.message }, 'database connection lost outside a request; reconnecting') })
  app.addHook('onClose', () => store.close())
  app.decorate<typeof store>('store', store)
  if (store.kind === 'sqlite') app.decorate('db', store.db)
  app.decorate('polls', store.polls)
  app.decorate('users', store.users)
  app.decorate('sessions', store.sessions)
  app.decorate('admin', store.admin)
}, { name: 'db' })
