import { desc, eq, sql } from 'drizzle-orm'
import type { Db } from './client.ts'
import { adminLog, type AdminAction, type AdminObjectType, type User } from './schema.ts'

export type LogEntry = typeof adminLog.$inferSelect
export type Actor = Pick<User, 'id' | 'username'>

export interface LogInput {
  objectType: AdminObjectType
  objectId: number
  questionId?: number | null
  objectRepr: string
  action: AdminAction
  changeMessage: string
}

/** Called inside the transaction that makes the change, so the record and the change land together. */
export function recordAction (db: Pick<Db, 'insert'>, actor: Actor, entry: LogInput, at = new Date()): void {
  db.insert(adminLog).values({
    actionTime: at,
    userId: actor.id,
    username: actor.username,
    ...entry,
    objectRepr: [...entry.objectRepr].slice(0, 200).join('')
  }).run()
}

export function createAdminLogQueries (db: Db) {
  const recentStmt = db.select().from(adminLog).orderBy(desc(adminLog.actionTime), desc(adminLog.id))
    .limit(sql.placeholder('limit')).prepare()
  const questionStmt = db.select().from(adminLog).where(eq(adminLog.questionId, sql.placeholder('questionId')))
    .orderBy(desc(adminLog.actionTime), desc(adminLog.id)).prepare()
  return {
    recentActions (limit = 10): LogEntry[] { return recentStmt.all({ limit }) },
    questionHistory (questionId: number): LogEntry[] { return questionStmt.all({ questionId }) }
  }
}
