import { desc, lte, sql } from 'drizzle-orm'
import type { Db } from './client.ts'
import { sqliteFault } from './faults.ts'
import { questions, type Question } from './schema.ts'

import type { CastVoteResult, ChoiceTally, PendingVote, QuestionWithChoices } from './store.ts'

export type { CastVoteResult, ChoiceTally, QuestionWithChoices }

/** Poll queries, prepared once per database: these run on every poll request. */
export function createPollQueries (db: Db) {
  const now = sql.placeholder('now')

  const latestStmt = db.select().from(questions)
    .where(lte(questions.pubDate, now))
    .orderBy(desc(questions.pubDate), desc(questions.id))
    .limit(sql.placeholder('limit'))
    .prepare()

  // The reads of every question page and vote are plain better-sqlite3 statements: drizzle's row
  // mapping cost more than the queries (question + choices 12.5 → 9.7 µs in a micro-benchmark).
  const publishedStmt = db.$client.prepare<[number, number], QuestionRow>(`
    select id, question_text as questionText, pub_date as pubDate, version, choice_count as choiceCount,
      vote_count as voteCount, results_version as resultsVersion
    from questions where id = ? and pub_date <= ?`)

  const choicesStmt = db.$client.prepare<[number], { id: number, choiceText: string }>(
    'select id, choice_text as choiceText from choices where question_id = ? order by id')

  // Raw SQL: the correlated subquery needs table-qualified names, which drizzle's builder drops here.
  const tallyStmt = db.$client.prepare<[number], ChoiceTally>(`
    select c.id as id, c.choice_text as choiceText,
      (select count(*) from votes v where v.question_id = c.question_id and v.choice_id = c.id) as votes
    from choices c where c.question_id = ? order by c.id`)

  const resultsVersionStmt = db.$client.prepare<[number, number], number>(
    'select results_version from questions where id = ? and pub_date <= ?').pluck()

  const userVoteStmt = db.$client.prepare<[number, number], number>(
    'select choice_id from votes where user_id = ? and question_id = ?').pluck()

  const choiceTextOfQuestionStmt = db.$client.prepare<[number, number], string>(
    'select choice_text from choices where id = ? and question_id = ?').pluck()

  // A page built from the questions is current while neither of these moved: this connection's row
  // changes (total_changes, any table: coarse but free) and other connections' commits (data_version:
  // other app processes, the CLI tools).
  const ownChangesStmt = db.$client.prepare('select total_changes()').pluck()
  const othersStmt = db.$client.prepare('pragma data_version').pluck()
  const nextPublicationStmt = db.$client.prepare('select min(pub_date) from questions where pub_date > ?').pluck()

  // The archive: newest first, a page at a time (questions_pub_date_idx serves both).
  const archivePageStmt = db.$client.prepare<[number, number, number], QuestionRow>(`
    select id, question_text as questionText, pub_date as pubDate, version, choice_count as choiceCount,
      vote_count as voteCount, results_version as resultsVersion
    from questions where pub_date <= ? order by pub_date desc, id desc limit ? offset ?`)
  const publishedCountStmt = db.$client.prepare<[number], number>('select count(*) from questions where pub_date <= ?').pluck()
  // Which of a page's questions the user voted on: one lookup per question on votes_user_question_idx.
  const votedStmt = db.$client.prepare<[number, string], number>(
    'select question_id from votes where user_id = ? and question_id in (select value from json_each(?))').pluck()

  const pendingVotes: PendingVote[] = []
  const writeBatch = db.$client.transaction((batch: PendingVote[], at: number) => batch.map((vote) => castOne(vote, at)))
  const busyTimeoutMs = db.$client.pragma('busy_timeout', { simple: true }) as number
  /** When the current batch first found the write lock taken. */
  let waitingSince: number | undefined
  // Not a prepared statement: SQLite applies a busy_timeout pragma when it is compiled, not when run.
  function withoutBusyWait<T> (fn: () => T): T {
    db.$client.pragma('busy_timeout = 0')
    try { return fn() } finally { db.$client.pragma(`busy_timeout = ${Math.trunc(busyTimeoutMs)}`) }
  }

  // One statement: a vote either moves or is created, so concurrent requests cannot leave two.
  const upsertVoteStmt = db.$client.prepare(`
    insert into votes (user_id, question_id, choice_id, voted_at) values (?, ?, ?, ?)
    on conflict (user_id, question_id) do update set choice_id = excluded.choice_id, voted_at = excluded.voted_at`)

  function publishedQuestion (id: number, at = Date.now()): Question | undefined {
    const row = publishedStmt.get(id, at)
    return row === undefined ? undefined : { ...row, pubDate: new Date(row.pubDate) }
  }

  return {
    latestPublishedQuestions (limit = 5, at = Date.now()): Question[] {
      return latestStmt.all({ now: at, limit })
    },

    publishedQuestion,

    /** A page of every published question, newest first. */
    publishedQuestionsPage (page: number, perPage: number, at = Date.now()): Question[] {
      return archivePageStmt.all(at, perPage, (page - 1) * perPage).map((row) => ({ ...row, pubDate: new Date(row.pubDate) }))
    },

    publishedCount (at = Date.now()): number {
      return publishedCountStmt.get(at) as number
    },

    /** The ids among `questionIds` that the user has voted on. */
    votedQuestionIds (userId: number, questionIds: number[]): Set<number> {
      return new Set(questionIds.length === 0 ? [] : votedStmt.all(userId, JSON.stringify(questionIds)))
    },

    /** Changes whenever the data may have changed, in this process or another. */
    dataVersion (): string {
      return `${othersStmt.get() as number}:${ownChangesStmt.get() as number}`
    },

    /** When the next scheduled question comes out (Infinity if none): the published set changes then. */
    nextPublication (at = Date.now()): number {
      return (nextPublicationStmt.get(at) as number | null) ?? Infinity
    },

    publishedQuestionWithChoices (id: number, at = Date.now()): QuestionWithChoices | undefined {
      const question = publishedQuestion(id, at)
      if (question === undefined) return undefined
      return { ...question, choices: choicesStmt.all(id) }
    },

    tallyVotes (id: number): ChoiceTally[] {
      return tallyStmt.all(id)
    },

    /** The published question's results version (see schema.ts), or undefined: one indexed row, no counting. */
    resultsVersion (id: number, at = Date.now()): number | undefined {
      return resultsVersionStmt.get(id, at)
    },

    /** The tally and the version it belongs to, read in one transaction so the two always match. */
    versionedTally: db.$client.transaction((id: number): { version: number, results: ChoiceTally[] } | undefined => {
      const version = resultsVersionStmt.get(id, Date.now())
      return version === undefined ? undefined : { version, results: tallyStmt.all(id) }
    }),

    userVote (userId: number, id: number): number | undefined {
      return userVoteStmt.get(userId, id)
    },

    /**
     * Resolves once the vote is committed (on disk: synchronous=FULL). Votes that arrive together are
     * written in one transaction, so one fsync serves many of them (group commit); each vote is still
     * checked on its own, for a published question's own choice.
     */
    castVote (userId: number, id: number, choiceId: number): Promise<CastVoteResult> {
      return new Promise((resolve, reject) => {
        pendingVotes.push({ userId, questionId: id, choiceId, resolve, reject })
        if (pendingVotes.length === 1) setImmediate(writePendingVotes)
      })
    }
  }

  function castOne (vote: PendingVote, at: number): CastVoteResult {
    if (publishedQuestion(vote.questionId, at) === undefined) return { ok: false, reason: 'question-not-found' }
    const choiceText = choiceTextOfQuestionStmt.get(vote.choiceId, vote.questionId)
    if (choiceText === undefined) return { ok: false, reason: 'choice-not-found' }
    upsertVoteStmt.run(vote.userId, vote.questionId, vote.choiceId, at)
    return { ok: true, choiceText }
  }

  /**
   * The write lock is waited for without blocking: SQLite's own busy handler would sleep the whole
   * process (every read of every request with it) while another process commits, in steps of 1, 2,
   * 5, 10… ms. Here a lock that is taken is tried again 1 ms later while requests go on being served,
   * and the votes that arrive meanwhile join the batch. Past the busy timeout the batch fails with
   * SQLITE_BUSY as before (503, nothing written).
   */
  function writePendingVotes () {
    const at = Date.now()
    let results: CastVoteResult[]
    try {
      results = withoutBusyWait(() => writeBatch.immediate(pendingVotes, at))
    } catch (err) {
      if (sqliteFault(err)?.kind === 'busy' && at - (waitingSince ??= at) < busyTimeoutMs) {
        setTimeout(writePendingVotes, 1)
        return
      }
      waitingSince = undefined
      // Nothing of the batch was written (the transaction rolled back): every vote in it fails alike.
      for (const vote of pendingVotes.splice(0)) vote.reject(err)
      return
    }
    waitingSince = undefined
    pendingVotes.splice(0).forEach((vote, i) => vote.resolve(results[i] as CastVoteResult))
  }
}

interface QuestionRow extends Omit<Question, 'pubDate'> { pubDate: number }

export type PollQueries = ReturnType<typeof createPollQueries>

/** Django's Question.was_published_recently: within the last day and not in the future. */
export function wasPublishedRecently (question: Pick<Question, 'pubDate'>, at = Date.now()): boolean {
  const t = question.pubDate.getTime()
  return t <= at && t >= at - 24 * 60 * 60 * 1000
}
