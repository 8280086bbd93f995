import { and, asc, eq, sql } from 'drizzle-orm'
import type { Db } from './client.ts'
import { recordAction, type Actor } from './admin-log.ts'
import { choices, questions, votes } from './schema.ts'
import { plural, type AdminChoice } from './store.ts'

export type { AdminChoice }

export function createAdminChoiceQueries (db: Db) {
  const voteCount = sql<number>`(select count(*) from votes v where v.question_id = choices.question_id and v.choice_id = choices.id)`.as('votes')
  const columns = { id: choices.id, questionId: choices.questionId, choiceText: choices.choiceText, votes: voteCount }
  const byIdStmt = db.select(columns).from(choices).where(eq(choices.id, sql.placeholder('id'))).prepare()
  const ofQuestionStmt = db.select(columns).from(choices).where(eq(choices.questionId, sql.placeholder('questionId')))
    .orderBy(asc(choices.id)).prepare()

  function questionText (tx: Pick<Db, 'select'>, questionId: number): string {
    return tx.select({ t: questions.questionText }).from(questions).where(eq(questions.id, questionId)).get()?.t ?? ''
  }

  return {
    choiceById (id: number): AdminChoice | undefined { return byIdStmt.get({ id }) },
    choicesOfQuestion (questionId: number): AdminChoice[] { return ofQuestionStmt.all({ questionId }) },

    addChoice (actor: Actor, questionId: number, choiceText: string): AdminChoice | undefined {
      return db.transaction((tx) => {
        const exists = tx.select({ id: questions.id }).from(questions).where(eq(questions.id, questionId)).get()
        if (exists === undefined) return undefined
        const choice = tx.insert(choices).values({ questionId, choiceText }).returning().get()
        recordAction(tx, actor, {
          objectType: 'choice', objectId: choice.id, questionId, objectRepr: choiceText, action: 'add',
          changeMessage: `Added choice “${choiceText}” to “${questionText(tx, questionId)}”.`
        })
        return { ...choice, votes: 0 }
      }, { behavior: 'immediate' })
    },

    updateChoice (actor: Actor, id: number, choiceText: string): AdminChoice | undefined {
      return db.transaction((tx) => {
        const current = tx.select().from(choices).where(eq(choices.id, id)).get()
        if (current === undefined) return undefined
        if (current.choiceText !== choiceText) {
          tx.update(choices).set({ choiceText }).where(eq(choices.id, id)).run()
          recordAction(tx, actor, {
            objectType: 'choice', objectId: id, questionId: current.questionId, objectRepr: choiceText, action: 'change',
            changeMessage: `Changed choice text from “${current.choiceText}” to “${choiceText}”.`
          })
        }
        return byIdStmt.get({ id })
      }, { behavior: 'immediate' })
    },

    /** Deletes the choice and, by cascade, its votes; returns what went. */
    deleteChoice (actor: Actor, id: number): AdminChoice | undefined {
      return db.transaction((tx) => {
        const current = byIdStmt.get({ id })
        if (current === undefined) return undefined
        tx.delete(votes).where(and(eq(votes.questionId, current.questionId), eq(votes.choiceId, id))).run()
        tx.delete(choices).where(eq(choices.id, id)).run()
        recordAction(tx, actor, {
          objectType: 'choice', objectId: id, questionId: current.questionId, objectRepr: current.choiceText, action: 'delete',
          changeMessage: `Deleted choice “${current.choiceText}” with ${plural(current.votes, 'vote')}.`
        })
        return current
      }, { behavior: 'immediate' })
    }
  }
}

export type AdminChoiceQueries = ReturnType<typeof createAdminChoiceQueries>
