import { eq } from 'drizzle-orm'
import type { UserStore } from '../store.ts'
import type { PgDb } from './client.ts'
import { users } from './schema.ts'

export function createPgUserStore (db: PgDb): UserStore {
  return {
    async userById (id) { return (await db.select().from(users).where(eq(users.id, id)))[0] },
    async userBySub (sub) { return (await db.select().from(users).where(eq(users.sub, sub)))[0] },
    async refreshProfile (profile) {
      const { sub, ...fields } = profile
      return (await db.update(users).set(fields).where(eq(users.sub, sub)).returning())[0]
    },
    async recordLogin (profile, at = new Date()) {
      const { sub, ...fields } = profile
      const [row] = await db.insert(users).values({ sub, ...fields, lastLogin: at, dateJoined: at })
        .onConflictDoUpdate({ target: users.sub, set: { ...fields, lastLogin: at } }).returning()
      if (row === undefined) throw new Error('recordLogin: the upsert returned no row')
      return row
    }
  }
}
