import { randomBytes } from 'node:crypto'
import { and, eq, inArray, lte } from 'drizzle-orm'
import type pg from 'pg'
import { newSessionRow, type SessionStore, type SessionUser } from '../store.ts'
import type { PgDb } from './client.ts'
import { sessions, usedLogoutTokens, users } from './schema.ts'

// The lookup every signed-in request makes is a plain named statement (parsed once per connection);
// the rest goes through drizzle's builder.
const LOOKUP = `select u.id, u.sub, u.username, u.email, u.first_name as "firstName", u.last_name as "lastName", u.role,
    u.is_active as "isActive", u.last_login as "lastLogin", u.date_joined as "dateJoined",
    s.refresh_token is not null as "hasRefreshToken", s.renew_at as "renewAt", s.last_seen_at as "lastSeenAt", s.checked_at as "checkedAt"
  from sessions s join users u on u.id = s.user_id
  where s.id = $1 and s.expires_at > $2`

export function createPgSessionStore (db: PgDb, pool: pg.Pool): SessionStore {
  return {
    async startSession (fields, at = Date.now()) {
      const id = randomBytes(32).toString('base64url')
      await db.transaction(async (tx) => {
        await tx.delete(sessions).where(lte(sessions.expiresAt, new Date(at)))
        await tx.insert(sessions).values(newSessionRow(id, fields, at))
      })
      return id
    },

    async sessionUser (id, at = Date.now()): Promise<SessionUser | undefined> {
      const row = (await pool.query({ name: 'sessions_lookup', text: LOOKUP, values: [id, new Date(at)] })).rows[0]
      if (row === undefined) return undefined
      const { hasRefreshToken, renewAt, lastSeenAt, checkedAt, ...user } = row
      return { user, hasRefreshToken, renewAt, lastSeenAt, checkedAt }
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
      await db.update(sessions).set({ idToken: fields.idToken, refreshToken: fields.refreshToken, renewAt: new Date(at + fields.renewAfterMs), checkedAt: new Date(at) })
        .where(eq(sessions.id, id))
    },

    async dropRefreshToken (id, at = Date.now()) {
      await db.update(sessions).set({ refreshToken: null, renewAt: new Date(at) }).where(eq(sessions.id, id))
    },

    async endSession (id) {
      await db.delete(sessions).where(eq(sessions.id, id))
    },

    async endUserSessions (userId) {
      return (await db.delete(sessions).where(eq(sessions.userId, userId)).returning({ id: sessions.id })).length
    },

    async endProviderSessions ({ sid, sub, startedBy }) {
      const ofSubject = sub === undefined ? undefined : inArray(sessions.userId, db.select({ id: users.id }).from(users).where(eq(users.sub, sub)))
      if (sid === undefined && ofSubject === undefined) return 0
      const where = and(sid === undefined ? undefined : eq(sessions.providerSid, sid), ofSubject, lte(sessions.createdAt, startedBy))
      return (await db.delete(sessions).where(where).returning({ id: sessions.id })).length
    },

    // INSERT … ON CONFLICT DO NOTHING on the shared table: of the nodes a replay reaches, one row is new once.
    async useLogoutToken (jti, expiresAt, at = Date.now()) {
      return db.transaction(async (tx) => {
        await tx.delete(usedLogoutTokens).where(lte(usedLogoutTokens.expiresAt, new Date(at)))
        return (await tx.insert(usedLogoutTokens).values({ jti, expiresAt }).onConflictDoNothing().returning({ jti: usedLogoutTokens.jti })).length === 1
      })
    }
  }
}
