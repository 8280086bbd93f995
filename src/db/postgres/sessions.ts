import { randomBytes } from 'node:crypto'
import { and, eq, inArray, lte } from 'drizzle-orm'
import type pg from 'pg'
import type { SessionStore, SessionUser } from '../store.ts'
import type { PgDb } from './client.ts'
import { sessions, users } from './schema.ts'

// The lookup every signed-in request makes is a plain named statement (parsed once per connection);
// the rest goes through drizzle's builder.
const LOOKUP = `select u.id, u.sub, u.username, u.email, u.first_name as "firstName", u.last_name as "lastName", u.role,
    u.is_active as "isActive", u.last_login as "lastLogin", u.date_joined as "dateJoined",
    s.refresh_token is not null as "hasRefreshToken", s.renew_at as "renewAt", s.last_seen_at as "lastSeenAt"
  from sessions s join users u on u.id = s.user_id
  where s.id = $1 and s.expires_at > $2`

export function createPgSessionStore (db: PgDb, pool: pg.Pool): SessionStore {
  return {
    async startSession (fields, at = Date.now()) {
      const id = randomBytes(32).toString('base64url')
      await db.transaction(async (tx) => {
        await tx.delete(sessions).where(lte(sessions.expiresAt, new Date(at)))
        await tx.insert(sessions).values({
          id,
          userId: fields.userId,
          idToken: fields.idToken,
          providerSid: fields.providerSid ?? null,
          refreshToken: fields.refreshToken ?? null,
          createdAt: new Date(at),
          expiresAt: new Date(at + fields.lifetimeMs),
          renewAt: new Date(at + fields.renewAfterMs),
          lastSeenAt: new Date(at)
        })
      })
      return id
    },

    async sessionUser (id, at = Date.now()): Promise<SessionUser | undefined> {
      const row = (await pool.query({ name: 'sessions_lookup', text: LOOKUP, values: [id, new Date(at)] })).rows[0]
      if (row === undefined) return undefined
      const { hasRefreshToken, renewAt, lastSeenAt, ...user } = row
      return { user, hasRefreshToken, renewAt, lastSeenAt }
    },

    async sessionTokens (id) {
      return (await db.select({ idToken: sessions.idToken, refreshToken: sessions.refreshToken }).from(sessions).where(eq(sessions.id, id)))[0]
    },

    async touchSession (id, at = Date.now()) {
      await db.update(sessions).set({ lastSeenAt: new Date(at) }).where(eq(sessions.id, id))
    },

    // One UPDATE … WHERE renew_at <= now RETURNING: of the nodes that try at once, one row comes back to one.
    async claimRenewal (id, retryAfterMs, at = Date.now()) {
      const claimed = await db.update(sessions).set({ renewAt: new Date(at + retryAfterMs) })
        .where(and(eq(sessions.id, id), lte(sessions.renewAt, new Date(at)))).returning({ id: sessions.id })
      return claimed.length === 1
    },

    async recordRenewal (id, fields, at = Date.now()) {
      await db.update(sessions).set({ idToken: fields.idToken, refreshToken: fields.refreshToken, renewAt: new Date(at + fields.renewAfterMs) })
        .where(eq(sessions.id, id))
    },

    async endSession (id) {
      await db.delete(sessions).where(eq(sessions.id, id))
    },

    async endUserSessions (userId) {
      return (await db.delete(sessions).where(eq(sessions.userId, userId)).returning({ id: sessions.id })).length
    },

    async endProviderSessions ({ sid, sub }) {
      const ofSubject = sub === undefined ? undefined : inArray(sessions.userId, db.select({ id: users.id }).from(users).where(eq(users.sub, sub)))
      if (sid === undefined && ofSubject === undefined) return 0
      const where = and(sid === undefined ? undefined : eq(sessions.providerSid, sid), ofSubject)
      return (await db.delete(sessions).where(where).returning({ id: sessions.id })).length
    }
  }
}
