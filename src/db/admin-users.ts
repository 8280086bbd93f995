import { and, asc, count, eq, or, type SQL } from 'drizzle-orm'
import { contains } from './contains.ts'
import type { Db } from './client.ts'
import { recordAction, type Actor } from './admin-log.ts'
import { sessions, users, type User } from './schema.ts'
import { USERS_PER_PAGE, type UserListQuery } from './store.ts'

export { USERS_PER_PAGE }
export type { UserListQuery }

export function createAdminUserQueries (db: Db) {
  return {
    listUsers (query: UserListQuery): { rows: User[], total: number, page: number, pages: number } {
      const conditions: SQL[] = []
      const search = query.search.trim()
      if (search !== '') {
        conditions.push(or(...[users.username, users.email, users.firstName, users.lastName].map((c) => contains(c, search))) as SQL)
      }
      if (query.role !== 'any') conditions.push(eq(users.role, query.role))
      const where = conditions.length === 0 ? undefined : and(...conditions)
      const total = db.select({ n: count() }).from(users).where(where).get()?.n ?? 0
      const pages = Math.max(1, Math.ceil(total / USERS_PER_PAGE))
      const page = Math.min(Math.max(1, query.page), pages)
      const rows = db.select().from(users).where(where).orderBy(asc(users.username), asc(users.id))
        .limit(USERS_PER_PAGE).offset((page - 1) * USERS_PER_PAGE).all()
      return { rows, total, page, pages }
    },

    userById (id: number): User | undefined {
      return db.select().from(users).where(eq(users.id, id)).get()
    },

    /** Deactivation takes effect at the user's next request: request.user is read from here every time. */
    setUserActive (actor: Actor, id: number, active: boolean): User | undefined {
      return db.transaction((tx) => {
        const current = tx.select().from(users).where(eq(users.id, id)).get()
        if (current === undefined) return undefined
        if (current.isActive === active) return current
        const user = tx.update(users).set({ isActive: active }).where(eq(users.id, id)).returning().get()
        // Their open sessions end now, not when the cookies expire.
        if (!active) tx.delete(sessions).where(eq(sessions.userId, id)).run()
        recordAction(tx, actor, {
          objectType: 'user', objectId: id, objectRepr: current.username, action: 'change',
          changeMessage: active ? 'Reactivated.' : 'Deactivated.'
        })
        return user
      }, { behavior: 'immediate' })
    }
  }
}
