import { and, asc, desc, eq, lte, sql } from 'drizzle-orm'
import type { Db } from './client.ts'
import { choices, questions, votes, type Question } from './schema.ts'

export interface ChoiceTally { id: number, choiceText: string, votes: number }
export interface QuestionWithChoices extends Question { choices: Array<{ id: number, choiceText: string }> }

export type CastVoteResult =
  | { ok: true, choiceText: string, previousChoiceId: number | undefined }
  | { ok: false, reason: 'question-not-found' | 'choice-not-found' }

/** Poll queries, prepared once per database: these run on every poll request. */
export function createPollQueries (db: Db) {
  const now = sql.placeholder('now')
  const questionId = sql.placeholder('questionId')

  const latestStmt = db.select().from(questions)
    .where(lte(questions.pubDate, now))
    .orderBy(desc(questions.pubDate), desc(questions.id))
    .limit(sql.placeholder('limit'))
    .prepare()

  const publishedStmt = db.select().from(questions)
    .where(and(eq(questions.id, questionId), lte(questions.pubDate, now)))
    .prepare()

  const choicesStmt = db.select({ id: choices.id, choiceText: choices.choiceText }).from(choices)
    .where(eq(choices.questionId, questionId))
    .orderBy(asc(choices.id))
    .prepare()

  // Raw SQL: the correlated subquery needs table-qualified names, which drizzle's builder drops here.
  const tallyStmt = db.$client.prepare<[number], ChoiceTally>(`
    select c.id as id, c.choice_text as choiceText,
      (select count(*) from votes v where v.question_id = c.question_id and v.choice_id = c.id) as votes
    from choices c where c.question_id = ? order by c.id`)

  const userVoteStmt = db.select({ choiceId: votes.choiceId }).from(votes)
    .where(and(eq(votes.userId, sql.placeholder('userId')), eq(votes.questionId, questionId)))
    .prepare()

  const choiceOfQuestionStmt = db.select({ id: choices.id, choiceText: choices.choiceText }).from(choices)
    .where(and(eq(choices.id, sql.placeholder('choiceId')), eq(choices.questionId, questionId)))
    .prepare()

  // One statement: a vote either moves or is created, so concurrent requests cannot leave two.
  const upsertVoteStmt = db.$client.prepare(`
    insert into votes (user_id, question_id, choice_id, voted_at) values (?, ?, ?, ?)
    on conflict (user_id, question_id) do update set choice_id = excluded.choice_id, voted_at = excluded.voted_at`)

  function publishedQuestion (id: number, at = Date.now()): Question | undefined {
    return publishedStmt.get({ questionId: id, now: at })
  }

  return {
    latestPublishedQuestions (limit = 5, at = Date.now()): Question[] {
      return latestStmt.all({ now: at, limit })
    },

    publishedQuestion,

    publishedQuestionWithChoices (id: number, at = Date.now()): QuestionWithChoices | undefined {
      const question = publishedQuestion(id, at)
      if (question === undefined) return undefined
      return { ...question, choices: choicesStmt.all({ questionId: id }) }
    },

    tallyVotes (id: number): ChoiceTally[] {
      return tallyStmt.all(id)
    },

    userVote (userId: number, id: number): number | undefined {
      return userVoteStmt.get({ userId, questionId: id })?.choiceId
    },

    /** Checks and writes in one transaction so the vote is for a published question's own choice. */
    castVote (userId: number, id: number, choiceId: number, at = Date.now()): CastVoteResult {
      return db.$client.transaction((): CastVoteResult => {
        if (publishedQuestion(id, at) === undefined) return { ok: false, reason: 'question-not-found' }
        const choice = choiceOfQuestionStmt.get({ choiceId, questionId: id })
        if (choice === undefined) return { ok: false, reason: 'choice-not-found' }
        const previousChoiceId = userVoteStmt.get({ userId, questionId: id })?.choiceId
        upsertVoteStmt.run(userId, id, choiceId, at)
        return { ok: true, choiceText: choice.choiceText, previousChoiceId }
      }).immediate()
    }
  }
}

export type PollQueries = ReturnType<typeof createPollQueries>

/** Django's Question.was_published_recently: within the last day and not in the future. */
export function wasPublishedRecently (question: Pick<Question, 'pubDate'>, at = Date.now()): boolean {
  const t = question.pubDate.getTime()
  return t <= at && t >= at - 24 * 60 * 60 * 1000
}
