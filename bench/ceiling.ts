// The benchmark's ceiling: a bare Fastify server on the same machine answering a constant body of a
// requested size, with no session, database or template work. Run as its own process, like the app.
// CEILING_HELMET=per-request (@fastify/helmet as it comes) or =once (its header set computed once, as
// the app does) adds only the security headers: how much of the ceiling they alone cost
// (npm run profile -- --endpoint ceiling --endpoint ceiling-helmet --endpoint ceiling-helmet-once).
// CEILING_WORK=signed-in adds the least any signed-in page must do, and nothing else: open the encrypted
// session cookie (@fastify/secure-session, as the app) and check its session row in SQLite (WAL file, one
// prepared indexed join), or with FLOOR_DATABASE_URL=postgres://… in PostgreSQL (one named indexed join
// through a pg pool). Its ratio to the plain ceiling bounds what a signed-in page can reach.
// CEILING_SPIN_US=n burns n µs of CPU per request: a slower server leaves the load generator idle between
// answers, so each answer's write also pays for waking it (npm run profile -- --endpoint ceiling-spin
// shows writev growing from ~6 to ~22 µs): part of a slow endpoint's cost is the load, not the app.
import Fastify from 'fastify'
import helmet from '@fastify/helmet'
import secureSession from '@fastify/secure-session'
import Database from 'better-sqlite3'
import pg from 'pg'
import { randomBytes } from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const app = Fastify({ logger: false })
const variant = process.env.CEILING_HELMET
if (variant === 'per-request') await app.register(helmet)
if (variant === 'once') {
  const probe = Fastify({ logger: false })
  await probe.register(helmet)
  probe.get('/', async () => '')
  const headers = Object.fromEntries(Object.entries((await probe.inject({ url: '/' })).headers)
    .filter(([name]) => !['content-type', 'content-length', 'date', 'connection', 'keep-alive'].includes(name)))
  await probe.close()
  app.addHook('onRequest', (_request, reply, done) => { reply.headers(headers); done() })
}
let signedInWork: (() => Awaitable<void>) | undefined
if (process.env.CEILING_WORK === 'signed-in') {
  await app.register(secureSession, { key: randomBytes(32), cookieName: 's' })
  const sid = randomBytes(32).toString('base64url')
  const lookup = process.env.FLOOR_DATABASE_URL?.startsWith('postgres') === true
    ? await postgresLookup(process.env.FLOOR_DATABASE_URL, sid)
    : sqliteLookup(sid)
  await app.after()
  const session = app.createSecureSession({ sid })
  const cookie = app.encodeSecureSession(session)
  signedInWork = () => {
    const decoded = app.decodeSecureSession(cookie)
    const found = lookup(decoded?.get('sid') as string)
    if (found instanceof Promise) return found.then((ok) => { if (!ok) throw new Error('no session row') })
    if (!found) throw new Error('no session row')
  }
}

type Awaitable<T> = T | Promise<T>

/** SQLite: a WAL file and one prepared indexed join, as the app's lookup. */
function sqliteLookup (sid: string): (id: string) => boolean {
  const db = new Database(join(mkdtempSync(join(tmpdir(), 'polls-ceiling-')), 'floor.db'))
  db.pragma('journal_mode = WAL')
  db.exec(`create table users (id integer primary key, sub text, username text, role text, is_active integer);
    create table sessions (id text primary key, user_id integer references users(id), expires_at integer, renew_at integer, last_seen_at integer);
    insert into users values (1, 'sub-1', 'voter', 'user', 1)`)
  db.prepare('insert into sessions values (?, 1, ?, ?, ?)').run(sid, Date.now() + 3_600_000, Date.now() + 900_000, Date.now())
  const statement = db.prepare('select u.*, s.renew_at, s.last_seen_at from sessions s join users u on u.id = s.user_id where s.id = ? and s.expires_at > ?')
  return (id) => statement.get(id, Date.now()) !== undefined
}

/** PostgreSQL (FLOOR_DATABASE_URL): tables of its own, and one named indexed join through a pg pool, as the app's lookup. */
async function postgresLookup (url: string, sid: string): Promise<(id: string) => Promise<boolean>> {
  const pool = new pg.Pool({ connectionString: url, max: 10 })
  pool.on('error', () => {}) // idle connections break when the bench stops the server
  await pool.query(`create table if not exists floor_users (id integer primary key, sub text, username text, role text, is_active boolean);
    create table if not exists floor_sessions (id text primary key, user_id integer references floor_users(id), expires_at timestamptz, renew_at timestamptz, last_seen_at timestamptz);
    insert into floor_users values (1, 'sub-1', 'voter', 'user', true) on conflict do nothing`)
  await pool.query('insert into floor_sessions values ($1, 1, $2, $3, $4)', [sid, new Date(Date.now() + 3_600_000), new Date(Date.now() + 900_000), new Date()])
  const text = 'select u.*, s.renew_at, s.last_seen_at from floor_sessions s join floor_users u on u.id = s.user_id where s.id = $1 and s.expires_at > $2'
  return async (id) => (await pool.query({ name: 'floor_lookup', text, values: [id, new Date()] })).rows.length === 1
}
const bodies = new Map<number, Buffer>()
app.all('/bytes/:n', async (request, reply) => {
  const pending = signedInWork?.()
  if (pending instanceof Promise) await pending
  if (process.env.CEILING_SPIN_US !== undefined) { const until = performance.now() + Number(process.env.CEILING_SPIN_US) / 1000; while (performance.now() < until); }
  const n = Math.min(1_000_000, Number((request.params as { n: string }).n) || 0)
  let body = bodies.get(n)
  if (body === undefined) {
    body = Buffer.alloc(n, 'x')
    bodies.set(n, body)
  }
  return reply.type('text/html; charset=utf-8').send(body)
})
const port = Number(process.env.PORT ?? 0)
app.listen({ host: '127.0.0.1', port }).then((address) => { console.log(`ready ${address}`) }, (err) => { console.error(err); process.exit(1) })
// A clean exit on SIGTERM, so that `--cpu-prof` (npm run profile) writes its profile.
process.on('SIGTERM', () => { void app.close().then(() => process.exit(0)) })
