import { and, eq, gt, lte, sql } from 'drizzle-orm'
import { randomBytes } from 'node:crypto'
import type { Db } from './client.ts'
import { sessions, users, type User } from './schema.ts'

export interface SessionUser { user: User, idToken: string }

export function createSessionQueries (db: Db) {
  const lookupStmt = db.select({ user: users, idToken: sessions.idToken }).from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(and(eq(sessions.id, sql.placeholder('id')), gt(sessions.expiresAt, sql.placeholder('now'))))
    .prepare()

  return {
    /** A new random session id for this user; expired rows are swept on the way (bounded work per login). */
    startSession (userId: number, idToken: string, lifetimeMs: number, at = Date.now()): string {
      const id = randomBytes(32).toString('base64url')
      db.transaction((tx) => {
        tx.delete(sessions).where(lte(sessions.expiresAt, new Date(at))).run()
        tx.insert(sessions).values({ id, userId, idToken, createdAt: new Date(at), expiresAt: new Date(at + lifetimeMs) }).run()
      })
      return id
    },

    /** The signed-in user of a live session: one indexed lookup per request. */
    sessionUser (id: string, at = Date.now()): SessionUser | undefined {
      return lookupStmt.get({ id, now: at })
    },

    endSession (id: string): void {
      db.delete(sessions).where(eq(sessions.id, id)).run()
    },

    /** Signs the user out everywhere (roles removed at the provider, account deactivated). */
    endUserSessions (userId: number): number {
      return db.delete(sessions).where(eq(sessions.userId, userId)).run().changes
    }
  }
}

export type SessionQueries = ReturnType<typeof createSessionQueries>
