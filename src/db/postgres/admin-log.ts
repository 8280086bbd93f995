import { desc, eq } from 'drizzle-orm'
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core'
import type { Actor, AdminStore, LogEntry } from '../store.ts'
import type { PgDb } from './client.ts'
import { adminLog } from './schema.ts'

type LogInput = Omit<LogEntry, 'id' | 'actionTime' | 'userId' | 'username' | 'questionId'> & { questionId?: number | null }

/** Called inside the transaction that makes the change, so the record and the change land together. */
export async function recordAction (tx: Pick<PgDatabase<PgQueryResultHKT>, 'insert'>, actor: Actor, entry: LogInput, at = new Date()): Promise<void> {
  await tx.insert(adminLog).values({
    actionTime: at,
    userId: actor.id,
    username: actor.username,
    ...entry,
    objectRepr: [...entry.objectRepr].slice(0, 200).join('')
  })
}

export function createPgAdminLog (db: PgDb): AdminStore['log'] {
  return {
    recentActions: (limit = 10) => db.select().from(adminLog).orderBy(desc(adminLog.actionTime), desc(adminLog.id)).limit(limit),
    questionHistory: (questionId) => db.select().from(adminLog).where(eq(adminLog.questionId, questionId)).orderBy(desc(adminLog.actionTime), desc(adminLog.id))
  }
}
