import { eq, sql } from 'drizzle-orm'
import type { Db } from './client.ts'
import { users, type User } from './schema.ts'
import type { ProfileFromProvider } from './store.ts'

export type { ProfileFromProvider }

export function createUserQueries (db: Db) {
  const byIdStmt = db.select().from(users).where(eq(users.id, sql.placeholder('id'))).prepare()
  const bySubStmt = db.select().from(users).where(eq(users.sub, sql.placeholder('sub'))).prepare()

  return {
    userById (id: number): User | undefined {
      return byIdStmt.get({ id })
    },

    userBySub (sub: string): User | undefined {
      return bySubStmt.get({ sub })
    },

    /** Profile and role from a background renewal: like a login, but lastLogin stays. */
    refreshProfile (profile: ProfileFromProvider): User | undefined {
      const { sub, ...fields } = profile
      return db.update(users).set(fields).where(eq(users.sub, sub)).returning().get()
    },

    /**
     * Creates the account on first login and refreshes profile and role at every login,
     * so a promotion or demotion at the provider takes effect at once.
     */
    recordLogin (profile: ProfileFromProvider, at = new Date()): User {
      const { sub, ...fields } = profile
      const row = db.insert(users)
        .values({ sub, ...fields, lastLogin: at, dateJoined: at })
        .onConflictDoUpdate({ target: users.sub, set: { ...fields, lastLogin: at } })
        .returning()
        .get()
      return row
    }
  }
}

export type UserQueries = ReturnType<typeof createUserQueries>
